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
  /** A `fetch` to use instead of the global one (for proxies, tracing or tests). */
  fetch?: FetchLike;
  /** Constructing a client with secrets in a browser exposes them to every visitor of the
   * page; it throws unless this is true. */
  dangerouslyAllowBrowser?: boolean;
  /** Allows plain http to a non-loopback host. Never in production. */
  dangerouslyAllowInsecureHttp?: boolean;
}

/** Options of one call. */
export interface CallOptions {
  /** Re-submit a call whose outcome is unknown with the key from the error, never a new one. */
  idempotencyKey?: string;
}

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
