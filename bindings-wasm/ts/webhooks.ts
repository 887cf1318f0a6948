// Webhook verification without a client: the core checks X-Connect-Signature (HMAC-SHA256 of the
// raw body under the cryptoToken, constant-time, either hex case) and parses the typed event.

import { toSdkError, ValidationError } from "./errors.js";
import { withDisplay } from "./generated/display.js";
import { facts, runtime } from "./runtime.js";
import type { HeadersLike, WebhookEvent } from "./types.js";

/** The exact bytes to verify. A parsed object cannot be verified (re-serialising changes the
 * bytes), so it is refused with a message saying what to pass instead. */
export function rawBodyBytes(rawBody: unknown): Uint8Array {
  if (typeof rawBody === "string") return new TextEncoder().encode(rawBody);
  if (rawBody instanceof Uint8Array) return rawBody;
  if (rawBody instanceof ArrayBuffer) return new Uint8Array(rawBody);
  throw new ValidationError(
    "rawBody: pass the request body exactly as received (a string, Buffer or Uint8Array), not the parsed JSON",
    { kind: "validation", code: "VALIDATION_ERROR", field: "rawBody" },
  );
}

/** X-Connect-Signature from a fetch `Headers`, Node's `req.headers` or a plain object. */
export function signatureFromHeaders(headers: HeadersLike): string {
  const SIGNATURE_HEADER = facts().SIGNATURE_HEADER.toLowerCase();
  let value: unknown;
  if (headers !== null && typeof headers === "object") {
    if (typeof (headers as { get?: unknown }).get === "function") {
      value = (headers as { get(name: string): string | null }).get(SIGNATURE_HEADER);
    } else {
      for (const [name, v] of Object.entries(headers)) {
        if (name.toLowerCase() === SIGNATURE_HEADER) {
          value = v;
          break;
        }
      }
    }
  }
  // Node gives a repeated header as an array: ambiguous, so treated as missing.
  if (Array.isArray(value)) value = value.length === 1 ? value[0] : undefined;
  // A missing header becomes "", which the core rejects as a WebhookSignatureError.
  return typeof value === "string" ? value : "";
}

/** Verifies a webhook and returns its typed event; throws WebhookSignatureError on a mismatch. */
function constructEvent(
  rawBody: string | Uint8Array | ArrayBuffer,
  signature: string | null | undefined,
  cryptoToken: string | undefined | readonly (string | undefined)[],
  options?: ConstructEventOptions,
): WebhookEvent {
  const payload = rawBodyBytes(rawBody);
  // Missing values go to the core as "": it rejects them (signature / cryptoToken) by name.
  const header = typeof signature === "string" ? signature : "";
  const keys = Array.isArray(cryptoToken)
    ? cryptoToken.map((k) => (typeof k === "string" ? k : ""))
    : typeof cryptoToken === "string"
      ? cryptoToken
      : "";
  const tolerance = options?.toleranceMs ?? undefined;
  const now = options?.nowMs ?? (tolerance === undefined ? undefined : Date.now());
  try {
    return withDisplay("WebhookEvent", JSON.parse(runtime().core.webhookConstructEvent(payload, header, keys, tolerance, now)) as WebhookEvent);
  } catch (error) {
    throw toSdkError(error);
  }
}

/** Options of `webhooks.constructEvent`. */
export interface ConstructEventOptions {
  /** Refuse an event whose `eventAt` is further than this from now (off by default; set it
   * above ConnectPSP's retry window, or redeliveries of a slow day are refused). */
  toleranceMs?: number;
  /** The receiver's clock for the tolerance (default `Date.now()`). */
  nowMs?: number;
}

export const webhooks: {
  /**
   * Verifies X-Connect-Signature over the raw body (before any JSON parsing) and returns the
   * typed event. A missing or wrong signature throws WebhookSignatureError; a missing
   * cryptoToken (say, an unset environment variable) throws ValidationError. During a key
   * rotation pass the tokens as a list, the new one first: any of them may have signed.
   */
  constructEvent(
    rawBody: string | Uint8Array | ArrayBuffer,
    signature: string | null | undefined,
    cryptoToken: string | undefined | readonly (string | undefined)[],
    options?: ConstructEventOptions,
  ): WebhookEvent;
} = Object.freeze({ constructEvent });
