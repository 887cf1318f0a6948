// Hand-written ConnectPSP clients for Node: one on the global `fetch`, one on undici's `request`.
// Each does the protocol work the SDK does per call: a cached token (refreshed before expiry,
// one refresh in flight shared by every caller), the DigitalSignature computed once per token
// with node:crypto, a fresh randomUUID idempotency key per call, a JSON body whose amount is a
// number with two decimals, a status check and a parsed JSON response. Connections are pooled
// and kept alive (fetch: Node's global dispatcher; undici: a Pool sized to the concurrency).

import { randomUUID } from "node:crypto";
import { Pool, request } from "undici";
import { PeerError, TokenCache, cashOutBody, parseResource, tokenFrom } from "./protocol.mjs";

export class FetchClient {
  constructor(baseUrl, credentials) {
    this.baseUrl = baseUrl;
    this.tokens = new TokenCache(async () => {
      const res = await fetch(`${baseUrl}/auth/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ clientId: credentials.clientId, clientSecret: credentials.clientSecret }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new PeerError(res.status, text);
      return tokenFrom(text, credentials);
    });
  }

  async createCashOut(amount, externalReference, description, payee) {
    const token = await this.tokens.current();
    const res = await fetch(`${this.baseUrl}/cash-out`, {
      method: "POST",
      headers: { ...token.headers, "x-idempotency-key": randomUUID() },
      body: cashOutBody(amount, externalReference, description, payee),
    });
    return parseResource(res.status, await res.text());
  }

  async close() {}
}

export class UndiciClient {
  constructor(baseUrl, credentials, connections) {
    this.baseUrl = baseUrl;
    this.pool = new Pool(baseUrl, { connections, pipelining: 1 });
    this.tokens = new TokenCache(async () => {
      const res = await request(`${baseUrl}/auth/token`, {
        dispatcher: this.pool,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ clientId: credentials.clientId, clientSecret: credentials.clientSecret }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new PeerError(res.statusCode, text);
      return tokenFrom(text, credentials);
    });
  }

  async createCashOut(amount, externalReference, description, payee) {
    const token = await this.tokens.current();
    const res = await request(`${this.baseUrl}/cash-out`, {
      dispatcher: this.pool,
      method: "POST",
      headers: { ...token.headers, "x-idempotency-key": randomUUID() },
      body: cashOutBody(amount, externalReference, description, payee),
    });
    return parseResource(res.statusCode, await res.body.text());
  }

  async close() {
    await this.pool.close();
  }
}
