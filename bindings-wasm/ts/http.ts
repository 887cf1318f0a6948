// The contract between the driver loop (driver.ts) and whatever performs one HTTP attempt:
// undici on Node (http-node.ts), `fetch` everywhere else or when the caller passes one
// (http-fetch.ts). A transport sends exactly the request the core built, reads at most
// MAX_RESPONSE_BYTES, follows no redirect, and says whether a failed attempt may have reached
// the server. It decides nothing else.

import { facts, type CoreStep } from "./runtime.js";

/** Larger answers are refused (an `io` failure), so a hostile or broken server cannot exhaust
 * memory: the core's MAX_RESPONSE_BYTES (10 MB; the API's largest body is far below it). */
export const maxResponseBytes = (): number => facts().MAX_RESPONSE_BYTES;

/** `setTimeout` fires at once for a delay above this (2^31 − 1 ms, about 24.8 days), so every
 * timer of the package is clamped to it; the core re-polls and asks for the rest. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type SendStep = Extract<CoreStep, { type: "send" }>;

export type AttemptResult =
  | {
      ok: true;
      status: number;
      /** `name\nvalue\nname\nvalue…`: how the core takes them (one string, one crossing). */
      headers: string;
      body: Uint8Array;
    }
  | {
      ok: false;
      /** "cancelled": the caller's AbortSignal fired; the driver abandons the call. */
      kind: "connect" | "timeout" | "io" | "cancelled";
      requestSent: boolean;
      message: string;
    };

export interface Transport {
  /** One attempt: the step's timeout covers connect, send and the whole body. `signal` is the
   * caller's AbortSignal (the attempt ends as "cancelled" when it fires). */
  send(step: SendStep, signal: AbortSignal | undefined): Promise<AttemptResult>;
  /** Closes pooled connections (a no-op for fetch). */
  close(): Promise<void>;
}

/** A delay safe to hand to setTimeout. */
export function timerMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
}

/**
 * What ends one attempt early: its step's timeout (covering connect, send and the whole body)
 * or the caller's AbortSignal, whichever comes first. Both transports use it; each passes the
 * `abort` that stops its own request (fetch: an AbortController; undici: the dispatch
 * controller). One timer and, only when the caller gave a signal, one listener per attempt.
 */
export class AttemptGuard {
  /** Why the attempt was ended early, once it was. */
  reason: "timeout" | "cancelled" | undefined;
  readonly #timeoutMs: number;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #signal: AbortSignal | undefined;
  readonly #onCancel: (() => void) | undefined;
  readonly #abort: () => void;

  constructor(timeoutMs: number, signal: AbortSignal | undefined, abort: () => void) {
    this.reason = undefined;
    this.#timeoutMs = timeoutMs;
    this.#abort = abort;
    this.#signal = signal;
    // The guard rides as setTimeout's argument: no closure per attempt.
    this.#timer = setTimeout(fire, timerMs(timeoutMs), this);
    if (signal !== undefined) {
      this.#onCancel = () => this.end("cancelled");
      // Already aborted: the transport sees `reason` before it starts the request.
      if (signal.aborted) this.reason = "cancelled";
      else signal.addEventListener("abort", this.#onCancel, { once: true });
    } else {
      this.#onCancel = undefined;
    }
  }

  /** Ends the attempt now (the first reason wins) and aborts its request. */
  end(reason: "timeout" | "cancelled"): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.#abort();
  }

  /** The result of an attempt this guard ended; `phase` says where it stood. Sent, always:
   * only a connect-phase error proves that nothing left the machine. */
  failure(phase: string): AttemptResult {
    return this.reason === "timeout"
      ? { ok: false, kind: "timeout", requestSent: true, message: `${phase} within ${this.#timeoutMs} ms` }
      : { ok: false, kind: "cancelled", requestSent: true, message: "cancelled by the caller's AbortSignal" };
  }

  /** The attempt is over: the timer and the listener go. */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#onCancel !== undefined) this.#signal!.removeEventListener("abort", this.#onCancel);
  }
}

function fire(guard: AttemptGuard): void {
  guard.end("timeout");
}

/** An attempt whose response body exceeded the core's MAX_RESPONSE_BYTES. */
export function tooLarge(): AttemptResult {
  return { ok: false, kind: "io", requestSent: true, message: `response body larger than ${maxResponseBytes()} bytes` };
}

/** An attempt whose connection was lost after the answer began. */
export const LOST_MID_BODY: AttemptResult = {
  ok: false,
  kind: "io",
  requestSent: true,
  message: "connection lost while reading the response",
};

// Errnos that only a connect or a DNS lookup can produce (an established socket that is reset
// reports ECONNRESET, never ECONNREFUSED), so they mean "not sent" even without a `syscall`.
const CONNECT_ONLY_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

// TLS verification failures: they end the handshake, before any byte of the request is written.
const TLS_HANDSHAKE_CODES = new Set([
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
]);

/**
 * The code of a failed attempt when it certainly failed before the request left the machine,
 * else undefined. Only the connect phase qualifies: a DNS lookup (`getaddrinfo`), a `connect`
 * syscall, undici's connect timeout, a TLS verification failure. The same errno on an
 * established (reused keep-alive) socket — EHOSTUNREACH or ENETUNREACH after a retransmission
 * timeout, reported by `read`/`write` — may follow a request the server received, so it is not
 * "not sent". Walks `cause` (fetch wraps the socket error in a TypeError).
 */
export function connectPhaseCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === "object" && depth < 4; depth++) {
    const { code, syscall, errors } = e as { code?: unknown; syscall?: unknown; errors?: unknown };
    // Happy eyeballs (autoSelectFamily) reports one AggregateError for every address it tried.
    if (Array.isArray(errors) && errors.length > 0) {
      return errors.every((inner) => connectPhaseCode(inner) !== undefined) ? connectPhaseCode(errors[0]) : undefined;
    }
    if (typeof code === "string") {
      if (syscall === "connect" || syscall === "getaddrinfo" || syscall === "getaddrinfo_async") return code;
      if (CONNECT_ONLY_CODES.has(code) || TLS_HANDSHAKE_CODES.has(code)) return code;
      return undefined;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The first `code` in the cause chain, for messages. */
export function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A failed attempt classified: connect phase (not sent) or anything else (may have been sent). */
export function networkFailure(error: unknown): AttemptResult {
  const notSent = connectPhaseCode(error);
  if (notSent !== undefined) {
    return { ok: false, kind: "connect", requestSent: false, message: `could not connect (${notSent})` };
  }
  const code = errorCode(error);
  // Browsers report every network failure as a bare TypeError: assume the worst.
  return { ok: false, kind: "io", requestSent: true, message: `network error${code ? ` (${code})` : ""}` };
}

/** Concatenates chunks into one array (no copy for a single chunk). */
export function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
