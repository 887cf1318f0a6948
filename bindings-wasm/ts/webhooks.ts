// Webhook verification without a client: the core checks X-Connect-Signature (HMAC-SHA256 of the
// raw body under the cryptoToken, constant-time, either hex case) and parses the typed event.

import { toSdkError, ValidationError } from "./errors.js";
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
  cryptoToken: string | undefined,
): WebhookEvent {
  const payload = rawBodyBytes(rawBody);
  // Missing values go to the core as "": it rejects them (signature / cryptoToken) by name.
  const header = typeof signature === "string" ? signature : "";
  const key = typeof cryptoToken === "string" ? cryptoToken : "";
  try {
    return JSON.parse(runtime().core.webhookConstructEvent(payload, header, key)) as WebhookEvent;
  } catch (error) {
    throw toSdkError(error);
  }
}

export const webhooks: {
  /**
   * Verifies X-Connect-Signature over the raw body (before any JSON parsing) and returns the
   * typed event. A missing or wrong signature throws WebhookSignatureError; a missing
   * cryptoToken (say, an unset environment variable) throws ValidationError.
   */
  constructEvent(
    rawBody: string | Uint8Array | ArrayBuffer,
    signature: string | null | undefined,
    cryptoToken: string | undefined,
  ): WebhookEvent;
} = Object.freeze({ constructEvent });
