// The public shapes of the package: options, request bodies and responses. Field names are the
// API's (camelCase); amounts are exact decimal strings on the way out ("150.50") and decimal
// strings or two-decimal numbers on the way in. The core validates everything; these types only
// let the compiler catch mistakes earlier.
//
// The request and response models are generated from the core's model types
// (./generated/schema.ts, `cargo run -p connectpsp-schema-gen`); this file adds what the core's
// models do not describe: the client's options, the call metadata, and narrower request helpers.

import type { BankAccount, CashIn, KnownPixKeyType, PixData } from "./generated/schema.js";

export type * from "./generated/schema.js";

/** The runtime's `fetch`, whatever its typing is in the caller's `lib` settings. */
export type FetchLike = typeof globalThis extends { fetch: infer F }
  ? F
  : (input: string, init?: Record<string, unknown>) => Promise<unknown>;

/**
 * Credentials may be typed `string | undefined` so `process.env.X` can be passed as is: a
 * missing one is refused at construction with a ValidationError naming it. Leaving a key out
 * altogether is still a compile error.
 */
export interface ConnectPSPOptions {
  clientId: string | undefined;
  clientSecret: string | undefined;
  applicationToken: string | undefined;
  /** Signs cash-out, refund and rebalance calls and verifies webhooks. */
  cryptoToken: string | undefined;
  /** `ConnectPSP.PRODUCTION`, `ConnectPSP.STAGING` or the sandbox (`http://127.0.0.1:…`).
   * Defaults to staging: production must be named. https only, except loopback. */
  baseUrl?: string;
  /** Budget of one HTTP attempt (default 30 000). */
  timeoutMs?: number;
  /** Retries after the first attempt, for calls that are safe to repeat (default 2). */
  maxRetries?: number;
  /** Budget of a whole call across attempts and waits (default `timeoutMs * (maxRetries + 1)`). */
  deadlineMs?: number;
  /** A `fetch` to use instead of the package's HTTP client (Node: undici; elsewhere the global
   * `fetch`), for proxies, tracing or tests. */
  fetch?: FetchLike;
  /** Where log lines go: any console-compatible object (`console`, pino, winston). One line per
   * HTTP attempt (`debug` when answered below 400, `info` otherwise) and a `warn` when a
   * money-moving call is abandoned after its request may have been sent. Default: `warn` and
   * `error` to the console, nothing else; `null`: silent. Never a secret, a body or a document. */
  logger?: Logger | null;
  /** Constructing a client with secrets in a browser exposes them to every visitor of the
   * page; it throws unless this is true. */
  dangerouslyAllowBrowser?: boolean;
  /** Allows plain http to a non-loopback host. Never in production. */
  dangerouslyAllowInsecureHttp?: boolean;
  /** Shares the access token with the other processes of the deployment (workers, serverless
   * functions): the client reads the store before it would fetch a token and writes the new
   * one after. The value is a bearer secret: use a store only your service can read. A store
   * that throws, rejects or hangs is logged and ignored (the call fetches a token as usual).
   * Default: the token lives in this client's memory. */
  tokenStore?: TokenStore;
  /** The crypto tokens `client.webhooks.constructEvent` accepts, the new one first, while
   * ConnectPSP switches keys (default: `[cryptoToken]`). Requests are still signed with
   * `cryptoToken`. An empty entry (an unset environment variable) is refused here. */
  webhookCryptoTokens?: readonly string[];
  /** `client.webhooks.constructEvent` refuses an event whose `eventAt` is further than this from
   * now (off by default; keep it above ConnectPSP's retry window). */
  webhookToleranceMs?: number;
}

/**
 * Where clients keep the access token they share (`tokenStore`): Redis, a KV namespace, a
 * database row. `get` returns what `set` stored under `key` and has not expired, else null;
 * `set` keeps `value` for `ttlMs` milliseconds (the token's remaining lifetime). Either may
 * return a Promise. The key holds no secret; the value holds the access token.
 */
export interface TokenStore {
  get(key: string): Promise<string | null | undefined> | string | null | undefined;
  /** May return a Promise (awaited, its value ignored). */
  set(key: string, value: string, ttlMs: number): unknown;
}

/** A console-compatible logger: every method is optional. */
export interface Logger {
  debug?(message: string, ...rest: unknown[]): void;
  info?(message: string, ...rest: unknown[]): void;
  warn?(message: string, ...rest: unknown[]): void;
  error?(message: string, ...rest: unknown[]): void;
}

/** Options of one call. */
export interface CallOptions {
  /** Re-submit a call whose outcome is unknown with the key from the error, never a new one
   * (and `possiblyApplied: true`, see `KeyedCallOptions`). */
  idempotencyKey?: string;
  /** Cancels the call: it rejects with an AbortError (check its `outcomeUnknown`). */
  signal?: AbortSignal;
  /** This call's budget of one HTTP attempt, instead of the client's `timeoutMs`. */
  timeoutMs?: number;
  /** This call's budget across attempts and waits, instead of the client's `deadlineMs`. */
  deadlineMs?: number;
  /** This call's retries, instead of the client's `maxRetries` (0: one attempt). */
  maxRetries?: number;
}

/** Options of the calls that carry an idempotency key: `cashIn.create`, `cashIn.refund`,
 * `cashOut.create`. */
export interface KeyedCallOptions extends CallOptions {
  /** An earlier call with this `idempotencyKey` may have been applied: its error was
   * `outcomeUnknown`, or the process ended while waiting for it. Every error of this call is
   * then `outcomeUnknown` too, with the key (this call's own attempts being refused says nothing
   * about the earlier one's); a success, the API's replay of the original included, is reported
   * as usual. Needs `idempotencyKey`. `client.resubmit(error)` sets it for you; set it yourself
   * when you re-send with a key you saved (a job queue, after a restart). */
  possiblyApplied?: boolean;
}

/** Options of `cashOut.wait` / `cashIn.wait`. */
export interface WaitOptions {
  /** How long to keep polling (default 60 000 ms, as in Python). */
  timeoutMs?: number;
  /** Stops waiting: rejects with an AbortError. */
  signal?: AbortSignal;
}

/** `client.on(name, listener)`: "request" before each HTTP attempt, "response" after it. */
export type ConnectPSPEventName = "request" | "response";

/** One HTTP attempt about to be sent. No body, header value, secret or personal data. */
export interface RequestEvent {
  /** The SDK method: `cashOut.create`, `cashIn.get`, … */
  call: string;
  /** Numbers the calls of this client (1, 2, …): every event of one call carries the same. */
  callId: number;
  /** "api" for the call itself, "token" for a `POST /auth/token` exchange it led. */
  purpose: "api" | "token";
  /** HTTP method. */
  method: string;
  /** The path template (`/cash-out/{id}`), never the id itself. */
  path: string;
  /** 1, 2, … per purpose. */
  attempt: number;
  /** The X-Idempotency-Key of the attempt (null for token exchanges and unkeyed calls). */
  idempotencyKey: string | null;
}

/** What became of an attempt. */
export interface ResponseEvent extends RequestEvent {
  /** The HTTP status, or null when no answer was read. */
  status: number | null;
  /** How the attempt failed without an answer, else null. */
  failure: "connect" | "timeout" | "io" | null;
  elapsedMs: number;
  /** X-Request-Id of the answer. */
  requestId: string | null;
  /** The SDK will send this request again (after a backoff, or after a token refresh). */
  willRetry: boolean;
  /** Were the call to end now, its outcome would be unknown (an attempt may have been applied). */
  outcomeUnknown: boolean;
}

export type RequestListener = (event: RequestEvent) => unknown;
export type ResponseListener = (event: ResponseEvent) => unknown;

// ---------------------------------------------------------------------------------------------
// Narrower views of the generated models

/** The create answer of a QR-code cash-in: it always carries the BR Code. */
export type QrCodeCashIn = CashIn & { pixData: PixData };

/** The create answer of an OpenFinance cash-in: a link instead of a QR code. */
export type OpenFinanceCashIn = CashIn & { paymentUrl: string };

/** A `Destination` to a PIX key: both key members, no bank account. */
export interface PixDestination {
  type: "PIX";
  pixKeyType: KnownPixKeyType;
  pixKey: string;
}

/** A `Destination` to bank-account data. */
export interface BankAccountDestination {
  type: "BANK_ACCOUNT";
  bankAccount: BankAccount;
}

// ---------------------------------------------------------------------------------------------
// Responses

/** How a successful call went, for logs and reconciliation. */
export interface ResponseInfo {
  /** HTTP status of the answer (201, 202, 200). */
  status: number;
  /** X-Request-Id of the answer. */
  requestId: string | null;
  /** The X-Idempotency-Key that was sent, if any. */
  idempotencyKey: string | null;
  /** HTTP attempts made for this call, token exchanges excluded. */
  attempts: number;
  /** True when the API answered `Idempotent-Replayed: true`: this is the stored answer of an
   * earlier request with the same idempotency key (found the original), not a new transaction. */
  replayed: boolean;
  /** The response body as received. */
  rawBody: string;
}

/** A resource as returned by a call, with a non-enumerable `response` describing the call
 * (so `JSON.stringify(cashIn)` is just the resource). */
export type WithResponse<T> = T & { readonly response: ResponseInfo };

// ---------------------------------------------------------------------------------------------
// Webhooks

/** Header collections `client.webhooks.constructEvent` accepts: a fetch `Headers`, Node's
 * `req.headers`, or a plain object (names are matched case-insensitively). */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;
