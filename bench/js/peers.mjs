// Hand-written ConnectPSP clients for Node: on the global `fetch`, on undici's `request` and on
// `node:http` with a keep-alive agent.
// Each does the protocol work the SDK does per call: a cached token (refreshed before expiry,
// one refresh in flight shared by every caller), the DigitalSignature computed once per token
// with node:crypto, a fresh randomUUID idempotency key per call, a JSON body whose amount is a
// number with two decimals, a status check and a parsed JSON response. Connections are pooled
// and kept alive (fetch: Node's global dispatcher; undici: a Pool sized to the concurrency;
// node:http: an Agent with keepAlive and maxSockets = the concurrency).

import { randomUUID } from "node:crypto";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
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

export class HttpClient {
  constructor(baseUrl, credentials, connections) {
    this.url = new URL(baseUrl);
    this.agent = new HttpAgent({ keepAlive: true, maxSockets: connections });
    this.tokens = new TokenCache(async () => {
      const body = JSON.stringify({ clientId: credentials.clientId, clientSecret: credentials.clientSecret });
      const { status, text } = await this.send("POST", "/auth/token", { "content-type": "application/json" }, body);
      if (status !== 200) throw new PeerError(status, text);
      return tokenFrom(text, credentials);
    });
  }

  send(method, path, headers, body) {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { hostname: this.url.hostname, port: this.url.port, path, method, headers, agent: this.agent },
        (res) => {
          const chunks = [];
          res.on("data", (chunk) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  async createCashOut(amount, externalReference, description, payee) {
    const token = await this.tokens.current();
    const { status, text } = await this.send(
      "POST",
      "/cash-out",
      { ...token.headers, "x-idempotency-key": randomUUID() },
      cashOutBody(amount, externalReference, description, payee),
    );
    return parseResource(status, text);
  }

  async close() {
    this.agent.destroy();
  }
}
