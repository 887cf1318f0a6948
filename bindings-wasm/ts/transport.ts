// The fetch transport and the loop that drives the core's state machine (docs/architecture.md
// §2). It performs exactly what the core asks — send this request, wait this long, wait for the
// token — and hands back what happened. No retry, header or validation rule lives here.

import { ConnectPSPError, errorFromCoreJson, toSdkError, ValidationError } from "./errors.js";
import { facts, runtime, type CoreOperation, type CoreSession, type CoreStep } from "./runtime.js";
import type { ResponseInfo } from "./types.js";

/** Larger answers are refused (an `io` failure), so a hostile or broken server cannot exhaust
 * memory. The API's largest body (a QR-code PNG in Base64) is far below this. */
const maxResponseBytes = (): number => facts().MAX_RESPONSE_BYTES;

type SendStep = Extract<CoreStep, { type: "send" }>;

/** The fetch signature the transport relies on (the global fetch and undici's both fit). */
export type FetchFunction = (url: string, init: Record<string, unknown>) => Promise<FetchResponse>;

interface FetchResponse {
  status: number;
  type?: string;
  headers: { forEach(callback: (value: string, name: string) => void): void; get(name: string): string | null };
  body: { getReader(): StreamReader } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

interface StreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

type AttemptResult =
  | { ok: true; status: number; headers: string[]; body: Uint8Array }
  | { ok: false; kind: "connect" | "timeout" | "io"; requestSent: boolean; message: string };

/**
 * Single-flight token refresh, the JS half: operations told to `awaitToken` wait on one shared
 * promise, resolved after every answer (or failure) of a `purpose: "token"` request. The core
 * decides who refreshes; this only wakes the waiters.
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
  async wait(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    try {
      await Promise.race([this.#promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface DriverContext {
  session: CoreSession;
  fetch: FetchFunction;
  tokenSignal: TokenSignal;
}

export interface CallResult {
  data: unknown;
  response: ResponseInfo;
}

interface OutcomeJson {
  data: unknown;
  status: number;
  requestId?: string | null;
  idempotencyKey?: string | null;
  attempts?: number;
  raw?: string;
}

/** Runs one API call (`"cashIn.create"`, …) to completion. */
export async function drive(ctx: DriverContext, method: string, params: object): Promise<CallResult> {
  const { core, randomBytes } = runtime();
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
  let op: CoreOperation;
  try {
    op = new core.WasmOperation(ctx.session, method, paramsJson, randomBytes(32), Date.now());
  } catch (error) {
    throw toSdkError(error);
  }
  try {
    for (;;) {
      const step = op.poll(Date.now());
      switch (step.type) {
        case "send": {
          const result = await attempt(ctx.fetch, step);
          if (result.ok) {
            op.handleResponse(result.status, result.headers, result.body, Date.now());
          } else {
            op.handleFailure(result.kind, result.requestSent, result.message, Date.now());
          }
          if (step.purpose === "token") ctx.tokenSignal.notify();
          break;
        }
        case "sleep":
          await sleep(step.ms);
          break;
        case "awaitToken":
          await ctx.tokenSignal.wait(step.ms);
          break;
        case "done":
          if (!step.ok) throw errorFromCoreJson(step.json);
          return toCallResult(step.json);
        default:
          throw new ConnectPSPError("internal SDK error: unknown step from the core", { kind: "internal" });
      }
    }
  } finally {
    op.free();
  }
}

function toCallResult(json: string): CallResult {
  const outcome = JSON.parse(json) as OutcomeJson;
  return {
    data: outcome.data,
    response: {
      status: outcome.status,
      requestId: outcome.requestId ?? null,
      idempotencyKey: outcome.idempotencyKey ?? null,
      attempts: outcome.attempts ?? 1,
      rawBody: outcome.raw ?? "",
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Errors (undici's `cause.code`) that mean nothing left the machine: the request was certainly
// not received, so even a money-moving call may be retried without an idempotency doubt.
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
]);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** One HTTP attempt with the step's timeout covering connect, send and the whole body. */
async function attempt(fetchFn: FetchFunction, step: SendStep): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), step.timeoutMs);
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < step.headers.length; i += 2) headers.push([step.headers[i]!, step.headers[i + 1]!]);
  let response: FetchResponse;
  try {
    response = await fetchFn(step.url, {
      method: step.method,
      headers,
      body: step.body.length > 0 ? step.body : undefined,
      // A redirect is never followed: the core turns any 3xx into an error.
      redirect: "manual",
      signal: controller.signal,
    });
  } catch (error) {
    clearTimeout(timer);
    if (controller.signal.aborted) {
      return { ok: false, kind: "timeout", requestSent: true, message: `no answer within ${step.timeoutMs} ms` };
    }
    const code = errorCode(error);
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      return { ok: false, kind: "connect", requestSent: false, message: `could not connect (${code})` };
    }
    // Browsers report every network failure as a bare TypeError: assume the worst.
    return { ok: false, kind: "io", requestSent: true, message: `network error${code ? ` (${code})` : ""}` };
  }
  try {
    const responseHeaders: string[] = [];
    response.headers.forEach((value, name) => {
      responseHeaders.push(name, value);
    });
    // With redirect "manual", browsers hide the 3xx behind an opaque status 0.
    const status = response.type === "opaqueredirect" ? 302 : response.status;
    const body = await readCapped(response);
    if (body === undefined) {
      return { ok: false, kind: "io", requestSent: true, message: `response body larger than ${maxResponseBytes()} bytes` };
    }
    return { ok: true, status, headers: responseHeaders, body };
  } catch {
    if (controller.signal.aborted) {
      return { ok: false, kind: "timeout", requestSent: true, message: `body not received within ${step.timeoutMs} ms` };
    }
    return { ok: false, kind: "io", requestSent: true, message: "connection lost while reading the response" };
  } finally {
    clearTimeout(timer);
  }
}

/** The whole body, or undefined when it exceeds the core's MAX_RESPONSE_BYTES. */
async function readCapped(response: FetchResponse): Promise<Uint8Array | undefined> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxResponseBytes()) {
    await response.body?.getReader().cancel().catch(() => undefined);
    return undefined;
  }
  if (response.body === null) {
    const whole = new Uint8Array(await response.arrayBuffer());
    return whole.length > maxResponseBytes() ? undefined : whole;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    total += value.length;
    if (total > maxResponseBytes()) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
