// The error classes of the package: the same set and names as the Python package, one class per
// `class` the core's `error_to_json` can name (docs/architecture.md §4). The core decides which
// class an error is; this file only turns its JSON into a real `Error` subclass.

/** The fields every SDK error carries (all secret-free: the core builds them from field names,
 * statuses and the API's problem bodies only). */
export interface ErrorFields {
  /** HTTP status of the last response, when there was one. */
  status?: number | null;
  /** The API's machine code (`INSUFFICIENT_FUNDS`, `TOKEN_EXPIRED`…) or `VALIDATION_ERROR`. */
  code?: string | null;
  /** problem+json `title`. */
  title?: string | null;
  /** problem+json `detail`, or the reason of a validation error. */
  detail?: string | null;
  /** The offending input field (`payee.destination.pixKey`) of a validation error. */
  field?: string | null;
  /** The X-Idempotency-Key the call used: re-submit with this key, never a new one. */
  idempotencyKey?: string | null;
  /** True when a money-moving request may have reached the server but no answer was read. */
  outcomeUnknown?: boolean;
  /** Retry-After of the last 429/503 response, in milliseconds. */
  retryAfterMs?: number | null;
  /** X-Request-Id of the last response. */
  requestId?: string | null;
  /** How many HTTP attempts were made (0 when the call was rejected before sending). */
  attempts?: number;
  /** The core's stable error kind (`validation`, `timeout`…). */
  kind?: string;
}

/** Base class of every error the SDK throws. */
export class ConnectPSPError extends Error {
  readonly status: number | null;
  readonly code: string | null;
  readonly title: string | null;
  readonly detail: string | null;
  readonly field: string | null;
  readonly idempotencyKey: string | null;
  readonly outcomeUnknown: boolean;
  readonly retryAfterMs: number | null;
  readonly requestId: string | null;
  readonly attempts: number;
  readonly kind: string;

  constructor(message: string, fields: ErrorFields = {}) {
    super(message);
    // `new.target.name` keeps the subclass name without each subclass repeating it.
    Object.defineProperty(this, "name", {
      value: new.target.name,
      enumerable: false,
      configurable: true,
      writable: true,
    });
    this.status = fields.status ?? null;
    this.code = fields.code ?? null;
    this.title = fields.title ?? null;
    this.detail = fields.detail ?? null;
    this.field = fields.field ?? null;
    this.idempotencyKey = fields.idempotencyKey ?? null;
    this.outcomeUnknown = fields.outcomeUnknown ?? false;
    this.retryAfterMs = fields.retryAfterMs ?? null;
    this.requestId = fields.requestId ?? null;
    this.attempts = fields.attempts ?? 0;
    this.kind = fields.kind ?? "unknown";
  }

  /** What `JSON.stringify(error)` logs: the name, the message and the fields above. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      kind: this.kind,
      status: this.status,
      code: this.code,
      title: this.title,
      detail: this.detail,
      field: this.field,
      idempotencyKey: this.idempotencyKey,
      outcomeUnknown: this.outcomeUnknown,
      retryAfterMs: this.retryAfterMs,
      requestId: this.requestId,
      attempts: this.attempts,
    };
  }
}

/** Bad input, rejected before anything was sent (or a 400 from the API). */
export class ValidationError extends ConnectPSPError {}
/** 401: wrong credentials or ApplicationToken, or a token refused even after a refresh. */
export class AuthenticationError extends ConnectPSPError {}
/** 422 INVALID_SIGNATURE: the API refused the DigitalSignature (check the cryptoToken). */
export class SignatureError extends ConnectPSPError {}
/** 404: no transaction with that id for this application. */
export class NotFoundError extends ConnectPSPError {}
/** 409 duplicate externalReference, or an idempotency key reused with another body. */
export class ConflictError extends ConnectPSPError {}
/** 422 with a business code (CASH_IN_NOT_PAID, …): read `code`. */
export class BusinessRuleError extends ConnectPSPError {}
/** 422 INSUFFICIENT_FUNDS. */
export class InsufficientFundsError extends BusinessRuleError {}
/** 429 after the retry budget was spent; `retryAfterMs` says when to come back. */
export class RateLimitError extends ConnectPSPError {}
/** 5xx after the retry budget was spent. */
export class ServerError extends ConnectPSPError {}
/** The attempt timeout or the overall deadline ran out. Check `outcomeUnknown`. */
export class TimeoutError extends ConnectPSPError {}
/** The connection failed. Check `outcomeUnknown`. */
export class ConnectionError extends ConnectPSPError {}
/** The API answered something the SDK cannot read. */
export class DecodeError extends ConnectPSPError {}
/** A webhook whose X-Connect-Signature does not match its body. */
export class WebhookSignatureError extends ConnectPSPError {}
/** The call's AbortSignal fired. `name` is "AbortError" (what code written for fetch checks);
 * when `outcomeUnknown` is true a request may have reached ConnectPSP: re-submit with
 * `idempotencyKey` (`client.resubmit(error)`), never with a new key. */
export class AbortError extends ConnectPSPError {}

const CLASSES: Record<string, new (message: string, fields: ErrorFields) => ConnectPSPError> = {
  ConnectPSPError,
  ValidationError,
  AuthenticationError,
  SignatureError,
  NotFoundError,
  ConflictError,
  BusinessRuleError,
  InsufficientFundsError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ConnectionError,
  DecodeError,
  WebhookSignatureError,
};

/** The shape of the core's `error_to_json`. */
interface CoreErrorJson extends ErrorFields {
  class?: string;
  message?: string;
}

/** Builds the error the core described in `json` (the text of `bridge::error_to_json`). */
export function errorFromCoreJson(json: string): ConnectPSPError {
  let parsed: CoreErrorJson;
  try {
    parsed = JSON.parse(json) as CoreErrorJson;
  } catch {
    return new DecodeError("the SDK core returned an unreadable error", { kind: "decode" });
  }
  const Class = (parsed.class !== undefined && Object.hasOwn(CLASSES, parsed.class)
    ? CLASSES[parsed.class]
    : ConnectPSPError) as new (message: string, fields: ErrorFields) => ConnectPSPError;
  return new Class(parsed.message ?? "ConnectPSP error", parsed);
}

/** Turns whatever a wasm export threw into an SDK error: the glue throws the core's error JSON
 * as a string; anything else is a bug in the SDK, surfaced as a plain ConnectPSPError. */
export function toSdkError(thrown: unknown): ConnectPSPError {
  if (thrown instanceof ConnectPSPError) return thrown;
  if (typeof thrown === "string" && thrown.startsWith("{")) return errorFromCoreJson(thrown);
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ConnectPSPError(`internal SDK error: ${message}`, { kind: "internal" });
}
