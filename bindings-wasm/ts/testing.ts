// Test helpers (`connectpsp/testing`): sign webhook bodies the way ConnectPSP does, so a
// webhook handler can be tested without the API. The HMAC is the core's own; the header name
// is the core's fact. The sandbox launcher lives in the Node entry (testing.cjs).

import { toSdkError } from "./errors.js";
import { facts, runtime } from "./runtime.js";
import { rawBodyBytes } from "./webhooks.js";

/** The X-Connect-Signature of `payload` under `cryptoToken` (lowercase hex HMAC-SHA256). */
export function webhookSignature(payload: string | Uint8Array | ArrayBuffer, cryptoToken: string): string {
  try {
    return runtime().core.webhookSignature(rawBodyBytes(payload), String(cryptoToken));
  } catch (error) {
    throw toSdkError(error);
  }
}

/** A signed webhook delivery: the body to POST and its headers. */
export interface SignedWebhook {
  body: string;
  headers: Record<string, string>;
}

/** A delivery of `{eventType, eventAt, data}` signed with `cryptoToken`; `eventAt` defaults to
 * now. Pass `body` and `headers` to your handler exactly as an HTTP request would. */
export function webhookEvent(
  eventType: string,
  data: object,
  cryptoToken: string,
  options: { eventAt?: string } = {},
): SignedWebhook {
  const body = JSON.stringify({ eventType, eventAt: options.eventAt ?? new Date().toISOString(), data });
  return {
    body,
    headers: {
      "content-type": "application/json",
      [facts().SIGNATURE_HEADER.toLowerCase()]: webhookSignature(body, cryptoToken),
    },
  };
}
