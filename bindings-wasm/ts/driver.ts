// The loop that drives the core's state machine (docs/architecture.md §2): it performs exactly
// what the core asks — send this request, wait this long, wait for the token — through the
// client's transport (http.ts) and hands back what happened. No retry, header or validation
// rule lives here. Time is monotonic (performance.now()), so a wall-clock step can neither hang
// a backoff nor expire a deadline early.

import { AbortError, ConnectPSPError, errorFromCoreJson, toSdkError, ValidationError } from "./errors.js";
import { timerMs, type AttemptResult, type SendStep, type Transport } from "./http.js";
import type { Hooks } from "./hooks.js";
import { runtime, type CoreAttempt, type CoreOperation, type CoreSession, type CoreStep } from "./runtime.js";
import type { TokenSync } from "./token-store.js";
import type { Logger, ResponseInfo } from "./types.js";

// A fixed epoch plus the monotonic clock: milliseconds that look like Date.now() (the core
// reads them as such) but never jump when the system clock is stepped.
const EPOCH_MS = Date.now() - performance.now();

/** Monotonic milliseconds on the Unix-epoch scale. */
export function monotonicNow(): number {
  return EPOCH_MS + performance.now();
}

/**
 * Single-flight token refresh, the JS half: operations told to `awaitToken` wait on one shared
 * promise, resolved after every answer (or failure) of a `purpose: "token"` request, and when an
 * operation is abandoned (its lease goes back to the session). The core decides who refreshes;
 * this only wakes the waiters.
 */
export class TokenSignal {
  #promise!: Promise<void>;
  #resolve!: () => void;

  constructor() {
    this.#reset();
  }

  #reset(): void {
    this.#promise = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
  }

  notify(): void {
    const resolve = this.#resolve;
    this.#reset();
    resolve();
  }

  /** Resolves at the next notification or after `ms`, whichever comes first. */
  wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    return wake(this.#promise, ms, signal);
  }
}

/** Resolves true after `ms` (or when `early` settles), false if `signal` fires first. */
export function wake(early: Promise<void> | undefined, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const done = (value: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), timerMs(ms));
    signal?.addEventListener("abort", onAbort, { once: true });
    early?.then(() => done(true));
  });
}

export interface DriverContext {
  session: CoreSession;
  transport: Transport;
  tokenSignal: TokenSignal;
  /** Where the per-attempt lines and the abandoned-call warning go (null: nowhere). */
  logger: Logger | null;
  /** The logger takes debug or info lines (so each attempt's report is worth reading). */
  logLines: boolean;
  /** The client's `request` / `response` listeners. */
  hooks: Hooks;
  /** The client's link to its `tokenStore` (null without one). */
  tokens: TokenSync | null;
}

export interface DriveOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  deadlineMs?: number | undefined;
  maxRetries?: number | undefined;
}

export interface CallResult {
  data: unknown;
  response: ResponseInfo;
  /** A settle wait keeps polling this resource. */
  pending: boolean;
}

// Random bytes for the core (idempotency key and retry jitter, 32 per call) are drawn from a
// pool refilled 4 KiB at a time: one getRandomValues per 128 calls instead of one per call,
// which profiling showed at about a tenth of the core's own time per payout.
const POOL_BYTES = 4096;
let pool: Uint8Array = new Uint8Array(0);
let poolAt = POOL_BYTES;

export function entropy(): Uint8Array {
  if (poolAt + 32 > pool.length) {
    pool = runtime().randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const bytes = pool.subarray(poolAt, poolAt + 32);
  poolAt += 32;
  return bytes;
}

/** Runs one API call (`"cashIn.create"`, …) to completion. */
export async function drive(ctx: DriverContext, method: string, params: object, options?: DriveOptions): Promise<CallResult> {
  const { core } = runtime();
  let paramsJson: string;
  try {
    paramsJson = JSON.stringify(params ?? {});
  } catch (error) {
    // A BigInt or a cycle: nothing the API could accept.
    throw new ValidationError(`the parameters cannot be serialised: ${(error as Error).message}`, {
      kind: "validation",
      code: "VALIDATION_ERROR",
    });
  }
  let op: CoreOperation | undefined;
  try {
    op = new core.WasmOperation(
      ctx.session,
      method,
      paramsJson,
      entropy(),
      monotonicNow(),
      options?.timeoutMs,
      options?.deadlineMs,
      options?.maxRetries,
    );
  } catch (error) {
    throw toSdkError(error);
  }
  const signal = options?.signal ?? undefined;
  const abandon = (): never => {
    // The core knows whether an attempt of this state-changing call may have been applied
    // (or is in flight): that is the AbortError's outcomeUnknown.
    const unknown = op!.outcomeUnknownIfAbandoned;
    const error = abortError(method, op!.idempotencyKey ?? null, unknown);
    if (unknown) warnAbandoned(ctx.logger, method, error.idempotencyKey);
    throw error;
  };
  const watched = ctx.hooks.watched();
  const callId = watched ? ctx.hooks.nextCallId() : 0;
  try {
    if (signal?.aborted) abandon();
    if (ctx.tokens !== null) {
      // The store's read (shared by concurrent calls) is part of the call: its AbortSignal
      // ends the wait at once, and the wait never outlasts the call's deadline, which counts
      // from the operation's creation (a read cut short leaves the core to fetch a token, or
      // to end the call with its deadline). The read itself goes on for the other calls.
      const loading = ctx.tokens.load();
      if (loading !== undefined && !(await wake(loading, op.remainingMs(monotonicNow()), signal))) abandon();
    }
    // The last answer's body, for `response.rawBody` (decoded only if it is read).
    let lastBody: Uint8Array | undefined;
    let step = parseStep(op.next(monotonicNow()));
    for (;;) {
      switch (step.type) {
        case "send": {
          if (watched) ctx.hooks.request(method, callId, op.lastAttempt());
          let result: AttemptResult;
          if (step.purpose === "token") {
            // The token exchange is never cancelled: other calls may be waiting on it. A caller
            // who gives up meanwhile hands it over: it completes in the background, feeds the
            // session, wakes the waiters, and only then is the operation freed.
            const pending = ctx.transport.send(step, undefined);
            const raced = signal === undefined ? await pending : await orAborted(pending, signal);
            if (raced === ABORTED) {
              const handed = op;
              op = undefined;
              void pending.then((late) => {
                report(handed, late, false);
                ctx.tokenSignal.notify();
                handed.free();
              });
              throw abortError(method, handed.idempotencyKey ?? null, handed.outcomeUnknownIfAbandoned);
            }
            result = raced;
          } else {
            result = await ctx.transport.send(step, signal);
            if (!result.ok && result.kind === "cancelled") abandon();
          }
          if (result.ok) lastBody = result.body;
          const sent = step;
          const reporting = watched || ctx.logLines;
          step = report(op, result, reporting);
          if (sent.purpose === "token") ctx.tokenSignal.notify();
          if (reporting) {
            const attempt = op.answeredAttempt();
            if (ctx.logLines) logAttempt(ctx.logger!, sent, result, attempt);
            if (watched) ctx.hooks.response(method, callId, attempt);
          }
          break;
        }
        case "sleep":
          if (!(await wake(undefined, step.ms, signal))) abandon();
          step = parseStep(op.next(monotonicNow()));
          break;
        case "awaitToken":
          if (!(await ctx.tokenSignal.wait(step.ms, signal))) abandon();
          step = parseStep(op.next(monotonicNow()));
          break;
        case "done": {
          if (!step.ok) throw errorFromCoreJson(step.json);
          const body = lastBody ?? new Uint8Array(0);
          let rawBody: string | undefined;
          return {
            data: step.data,
            response: {
              status: step.status,
              requestId: step.requestId,
              idempotencyKey: step.idempotencyKey,
              attempts: step.attempts,
              replayed: step.replayed,
              // The core's `raw` is this very body as text: decoded here, when first read.
              get rawBody(): string {
                return (rawBody ??= utf8.decode(body));
              },
            },
            pending: step.pending,
          };
        }
        default:
          throw new ConnectPSPError("internal SDK error: unknown step from the core", { kind: "internal" });
      }
    }
  } finally {
    if (op !== undefined) {
      const abandoned = signal?.aborted === true;
      // Freeing gives back a token lease the operation may hold; waiters then re-poll at once.
      op.free();
      if (abandoned) ctx.tokenSignal.notify();
    }
  }
}

/** Hands the attempt's result to the core; returns the step that follows. */
function report(op: CoreOperation, result: AttemptResult, keepReport: boolean): CoreStep {
  const now = monotonicNow();
  const text = result.ok
    ? op.respond(result.status, result.headers, result.body, now, keepReport)
    : op.fail(result.kind === "cancelled" ? "io" : result.kind, result.requestSent, result.message, now, keepReport);
  return parseStep(text);
}

// Invalid UTF-8 becomes U+FFFD, as the core's `String::from_utf8_lossy` did.
const utf8 = new TextDecoder();

/**
 * A step from the core's text (`step_text` in bindings-wasm/src/lib.rs): one string per step,
 * one decode, instead of one crossing per field. Lines: the kind first; the body or the JSON
 * last (so a newline inside either is kept). Read line by line with `indexOf` up to the fixed
 * fields, the body or the JSON taken as one slice of the rest: `split("\n")` cut the whole
 * text (body included) into an array first, and measured slower (bench/README.md).
 */
export function parseStep(text: string): CoreStep {
  // `at`: the newline that ends the line last read (text.length once past the end).
  let at = text.indexOf("\n");
  if (at < 0) at = text.length;
  const kind = text.slice(0, at);
  const line = (): string => {
    const start = at + 1;
    at = text.indexOf("\n", start);
    if (at < 0) at = text.length;
    return text.slice(start, at);
  };
  // What follows the last line read, whole (newlines kept).
  const rest = (): string => text.slice(at + 1);
  switch (kind) {
    case "send": {
      const purpose = line() as "token" | "api";
      const timeoutMs = Number(line());
      const method = line();
      const url = line();
      const count = 2 * Number(line());
      const headers: string[] = [];
      for (let i = 0; i < count; i++) headers.push(line());
      return { type: "send", purpose, timeoutMs, method, url, headers, body: rest() };
    }
    case "sleep":
      return { type: "sleep", ms: Number(line()) };
    case "awaitToken":
      return { type: "awaitToken", ms: Number(line()) };
    case "ok": {
      const status = Number(line());
      const attempts = Number(line());
      const replayed = line() === "1";
      const pending = line() === "1";
      const requestId = line();
      const idempotencyKey = line();
      return {
        type: "done",
        ok: true,
        status,
        attempts,
        replayed,
        pending,
        requestId: requestId === "" ? null : requestId.slice(1),
        idempotencyKey: idempotencyKey === "" ? null : idempotencyKey.slice(1),
        data: JSON.parse(rest()) as unknown,
      };
    }
    case "error":
      return { type: "done", ok: false, json: rest() };
    default:
      throw new ConnectPSPError("internal SDK error: unknown step from the core", { kind: "internal" });
  }
}

const ABORTED: unique symbol = Symbol("aborted");

function orAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function abortError(method: string, idempotencyKey: string | null, outcomeUnknown: boolean): AbortError {
  const advice = outcomeUnknown
    ? `a request may have reached ConnectPSP, so the outcome is unknown: re-submit with idempotency key ${idempotencyKey} ` +
      "(client.resubmit(error)), never with a new key"
    : "nothing reached ConnectPSP";
  return new AbortError(`${method}: cancelled by its AbortSignal; ${advice}`, {
    kind: "cancelled",
    code: "ABORTED",
    idempotencyKey,
    outcomeUnknown,
  });
}

function warnAbandoned(logger: Logger | null, method: string, idempotencyKey: string | null): void {
  try {
    logger?.warn?.(
      `connectpsp: ${method} was abandoned (AbortSignal) after its request may have reached ConnectPSP; ` +
        `the outcome is unknown. Re-submit with idempotency key ${idempotencyKey ?? "-"}, never with a new key.`,
    );
  } catch {
    // A broken logger must not turn a cancellation into another error.
  }
}

/** The per-attempt line (the Python package writes the same one): method, path, status or
 * failure, elapsed ms, attempt, key. Paths carry only transaction ids; no header or body. */
function logAttempt(logger: Logger, step: SendStep, result: AttemptResult, attempt: CoreAttempt | null): void {
  const ok = result.ok && result.status < 400;
  const write = ok ? logger.debug : logger.info;
  if (typeof write !== "function") return;
  const outcome = result.ok ? String(result.status) : result.kind;
  const elapsed = attempt?.elapsedMs ?? 0;
  const n = attempt?.attempt ?? 1;
  const key = attempt?.idempotencyKey ?? null;
  try {
    write.call(logger, `${step.method} ${pathOf(step.url)} -> ${outcome} in ${Math.round(elapsed)} ms (attempt ${n}, idempotency key ${key ?? "-"})`);
  } catch {
    // Logging never fails a call.
  }
}

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start);
}
