// The protocol work of the hand-written Node peers (peers.mjs), shared by the fetch and the
// undici client: token cache with single-flight refresh, DigitalSignature once per token, the
// cash-out body with an exact two-decimal amount, the status check.

import { createHmac } from "node:crypto";

export class PeerError extends Error {
  constructor(status, text) {
    let code = "";
    try {
      code = String(JSON.parse(text).code ?? "");
    } catch {
      // a non-JSON body: the status alone tells the story
    }
    super(`HTTP ${status} ${code}`.trim());
    this.status = status;
    this.code = code;
  }
}

const AMOUNT = /^\d{1,10}\.\d{2}$/;

// JSON.stringify cannot write "1.00" as a number, so the amount is written by hand and the
// rest of the object appended: exact, and the amount never passes through a float.
export function cashOutBody(amount, externalReference, description, payee) {
  if (!AMOUNT.test(amount)) throw new TypeError(`amount must be a decimal string with two places, got ${amount}`);
  const rest = JSON.stringify({ externalReference, description, payee });
  return `{"amount":${amount},${rest.slice(1)}`;
}

export function tokenFrom(text, credentials) {
  const { accessToken, expiresIn } = JSON.parse(text);
  const signature = createHmac("sha256", credentials.cryptoToken).update(accessToken).digest("hex");
  const lifetimeMs = Number(expiresIn) * 1000;
  return {
    headers: {
      authorization: `Bearer ${accessToken}`,
      applicationtoken: credentials.applicationToken,
      digitalsignature: signature,
      "content-type": "application/json",
      accept: "application/json",
    },
    // Same margin as the SDK: refresh when less than min(60 s, lifetime / 4) remains.
    refreshAt: Date.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 4),
  };
}

export function parseResource(status, text) {
  if (status < 200 || status >= 300) throw new PeerError(status, text);
  const resource = JSON.parse(text);
  if (!resource.transactionId) throw new PeerError(status, '{"code":"NO_TRANSACTION_ID"}');
  return resource;
}

export class TokenCache {
  #token = null;
  #refreshing = null;
  constructor(fetchToken) {
    this.fetchToken = fetchToken;
  }
  current() {
    if (this.#token && Date.now() < this.#token.refreshAt) return this.#token;
    // Single flight: every caller that finds the token stale awaits the same refresh.
    this.#refreshing ??= this.fetchToken()
      .then((token) => (this.#token = token))
      .finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }
}

