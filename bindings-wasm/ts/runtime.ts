// What each entry point (node.cjs, web.mjs, edge.mjs) plugs in before the package is used: the
// instantiated WebAssembly core and the runtime's random source. Keeping the loading out of the
// layer lets one compiled layer serve Node, browsers and edge runtimes.

import { ConnectPSPError } from "./errors.js";
import type { Transport } from "./http.js";

/** One step of the core's state machine, as `parseStep` (driver.ts) reads it from the core's text. */
export type CoreStep =
  | {
      type: "send";
      method: string;
      url: string;
      /** Flattened pairs: name, value, name, value… */
      headers: string[];
      /** The JSON the core wrote ("" for none). */
      body: string;
      timeoutMs: number;
      purpose: "token" | "api";
    }
  | { type: "sleep"; ms: number }
  | { type: "awaitToken"; ms: number }
  | {
      type: "done";
      ok: true;
      /** The typed reply, amounts as decimal strings. */
      data: unknown;
      status: number;
      requestId: string | null;
      idempotencyKey: string | null;
      attempts: number;
      replayed: boolean;
      /** A settle wait keeps polling this resource (the core's pending rule). */
      pending: boolean;
    }
  | { type: "done"; ok: false; /** The error as the core's bridge writes it. */ json: string };

export interface CoreSession {
  /** The base URL the core settled on (staging unless production or a URL was given). */
  readonly baseUrl: string;
  /** Verifies a webhook with the session's webhook tokens and tolerance, or the ones given;
   * returns the event JSON. */
  constructEvent(
    payload: Uint8Array,
    signature: string,
    cryptoTokens?: string | string[],
    toleranceMs?: number,
    nowMs?: number,
  ): string;
  /** The key of this client's entry in a token store (no secret in it). */
  readonly tokenStoreKey: string;
  /** The next call would fetch (or wait for) a token: read the store first. */
  wantsToken(nowMs: number): boolean;
  /** The entry to write when the session holds a valid token other than generation `saved`. */
  tokenForStore(saved: number, nowMs: number, wallMs: number): { value: string; ttlMs: number; generation: number } | undefined;
  /** Adopts a stored token the core accepts: its generation, else undefined. Throws the core's
   * error JSON for a value that is not a token entry. */
  adoptFromStore(value: string, nowMs: number, wallMs: number): number | undefined;
  free(): void;
}

export interface CoreOperation {
  /** The X-Idempotency-Key every attempt sends (undefined for calls without one). */
  readonly idempotencyKey: string | undefined;
  /** Abandoning the call now leaves its outcome unknown (an attempt may have been applied). */
  readonly outcomeUnknownIfAbandoned: boolean;
  /** What is left of the call's deadline at `nowMs` (0 once passed). */
  remainingMs(nowMs: number): number;
  /** The core's report of the last HTTP attempt (null before the first): after a send step,
   * that attempt in flight. */
  lastAttempt(): CoreAttempt | null;
  /** The next step, as text (`parseStep` in driver.ts reads it). */
  next(nowMs: number): string;
  /** The answer to the last send, then the next step. `headers`: `name\nvalue\nname\nvalue…`;
   * `keepReport`: keep the answered attempt's report for `answeredAttempt()`. */
  respond(status: number, headers: string, body: Uint8Array, nowMs: number, keepReport: boolean): string;
  /** The last send got no answer, then the next step. */
  fail(kind: "connect" | "timeout" | "io", requestSent: boolean, message: string, nowMs: number, keepReport: boolean): string;
  /** The report of the attempt the last respond/fail (with keepReport) answered, or null. */
  answeredAttempt(): CoreAttempt | null;
  free(): void;
}

/** One HTTP attempt as the core reports it (core/src/operation/attempt.rs). */
export interface CoreAttempt {
  purpose: "api" | "token";
  attempt: number;
  method: string;
  /** `/cash-out/{id}`: the template, never the id. */
  pathTemplate: string;
  idempotencyKey: string | null;
  status: number | null;
  requestId: string | null;
  failure: "connect" | "timeout" | "io" | null;
  elapsedMs: number;
  inFlight: boolean;
  willRetry: boolean;
  outcomeUnknown: boolean;
}

/** The exports of the wasm-bindgen module (bindings-wasm/src/lib.rs). Every function that can
 * fail throws the core's error JSON as a string. */
export interface CoreModule {
  WasmSession: new (configJson: string) => CoreSession;
  WasmOperation: new (
    session: CoreSession,
    method: string,
    paramsJson: string,
    entropy: Uint8Array,
    nowMs: number,
    timeoutMs?: number,
    deadlineMs?: number,
    maxRetries?: number,
  ) => CoreOperation;
  webhookConstructEvent(
    payload: Uint8Array,
    signature: string,
    cryptoTokens: string | string[],
    toleranceMs?: number,
    nowMs?: number,
  ): string;
  pixParseBrCode(code: string): string;
  pixBuildBrCode(paramsJson: string): string;
  pixValidateKey(kind: string, key: string): string;
  pixIsValidCpf(value: string): boolean;
  pixIsValidCnpj(value: string): boolean;
  /** JSON `{type, normalized, candidates: [{type, normalized}]}`; type null when ambiguous. */
  pixDetectKeyType(key: string): string;
  pixNormalizeDocument(document: string): string;
  pixFormatDocument(document: string): string;
  pixQrSvg(code: string): string;
  /** The core's PNG scanlines of a BR Code's QR (pix::qr::qr_png_scanlines); free() after use. */
  pixQrScanlines(code: string, modulePx?: number): { readonly side: number; readonly data: Uint8Array; free(): void };
  idempotencyKeyFor(reference: string): string;
  webhookSignature(payload: Uint8Array, cryptoToken: string): string;
  /** The core's delay before poll `poll + 1` of a settle wait (16 bytes of jitter entropy). */
  settleDelayMs(poll: number, entropy: Uint8Array): number;
  /** A personal-data value masked by the core's rule `mask` (core/src/personal.rs). */
  maskPersonal(mask: string, value: string, hint: string | undefined): string;
  coreVersion(): string;
  coreFacts(): CoreFacts;
}

/** The core's facts (connectpsp_core::facts::ALL): one source for both packages. */
export interface CoreFacts {
  readonly PRODUCTION_URL: string;
  readonly STAGING_URL: string;
  readonly SIGNATURE_HEADER: string;
  readonly IDEMPOTENCY_KEY_HEADER: string;
  readonly REQUEST_ID_HEADER: string;
  readonly REPLAYED_HEADER: string;
  readonly EVENT_ID_HEADER: string;
  readonly DIGITAL_SIGNATURE_HEADER: string;
  readonly APPLICATION_TOKEN_HEADER: string;
  readonly DEFAULT_TIMEOUT_MS: number;
  readonly DEFAULT_MAX_RETRIES: number;
  readonly DEFAULT_SETTLE_TIMEOUT_MS: number;
  readonly ERROR_CLASSES: readonly string[];
  readonly MAX_RESPONSE_BYTES: number;
  readonly MAX_WEBHOOK_BYTES: number;
  readonly RESUBMIT_METHODS: readonly string[];
  readonly TOKEN_STORE_TIMEOUT_MS: number;
  readonly USER_AGENT_PREFIX: string;
  readonly USER_AGENT_CORE: string;
  readonly CORE_VERSION: string;
}

let cachedFacts: CoreFacts | undefined;

/** The core's facts, read once (after an entry point loaded the core: call it lazily). */
export function facts(): CoreFacts {
  return (cachedFacts ??= runtime().core.coreFacts());
}

export interface Runtime {
  core: CoreModule;
  /** Cryptographically secure random bytes (crypto.getRandomValues). */
  randomBytes(length: number): Uint8Array;
  /** True in a browser page or browser worker, where secrets would be exposed to visitors. */
  isBrowser: boolean;
  /** "node", "web" or "edge": which entry point loaded the package (for the User-Agent). */
  flavour: string;
  /** The runtime's own HTTP client (Node: undici), one per client; absent: the global fetch. */
  transport?: () => Transport;
}

let current: Runtime | undefined;

export function setRuntime(runtime: Runtime): void {
  current = runtime;
}

export function runtime(): Runtime {
  if (current === undefined) {
    throw new ConnectPSPError(
      "the ConnectPSP WebAssembly core is not loaded: import the package itself, not one of its internal files",
      { kind: "internal" },
    );
  }
  return current;
}

/** 32 random bytes from getRandomValues, for the core's idempotency keys and retry jitter. */
export function webRandomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/** True in a browser page or a browser worker: places where a secret is visible to the user. */
export function detectBrowser(): boolean {
  const g = globalThis as Record<string, unknown>;
  if ("Deno" in g) return false;
  const win = g.window as { document?: unknown } | undefined;
  if (typeof win === "object" && win !== null && typeof win.document === "object") return true;
  return ["DedicatedWorkerGlobalScope", "SharedWorkerGlobalScope", "ServiceWorkerGlobalScope"].some(
    (name) => typeof g[name] === "function",
  );
}
