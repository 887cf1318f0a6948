// The transport under a flaky network: injected faults, timeouts, refused connections,
// redirects, oversized bodies, token expiry and a burst of concurrent calls. The rules are the
// core's; these tests prove the JS loop drives them faithfully over real HTTP.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";

import { esm, startSandbox, vector } from "./helpers.mjs";

const {
  ConnectPSP,
  ConnectPSPError,
  ConnectionError,
  RateLimitError,
  ServerError,
  TimeoutError,
} = esm;

let sandbox;

before(async () => {
  sandbox = await startSandbox(["--manual-settle"]);
});

after(() => sandbox?.stop());

beforeEach(async () => {
  await sandbox.control("DELETE", "/_sandbox/faults");
});

let refCounter = 0;
const ref = (prefix) => `${prefix}-${process.pid}-${Date.now()}-${++refCounter}`;
const pixPayee = {
  name: "Maria Silva",
  document: "12345678909",
  destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
};

/** A client whose token is already fetched, so the journal shows only the call under test. */
async function warmClient(overrides = {}) {
  const client = new ConnectPSP(sandbox.options(overrides));
  await client.account.balance();
  return client;
}

/** A throwaway local HTTP server answering with `handler`; resolves to its base URL. */
async function localServer(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

describe("retries", () => {
  test("503 twice then success: one cash-out, three attempts, the same idempotency key", async () => {
    const client = await warmClient({ maxRetries: 2 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "status", status: 503, count: 2 });
    const since = await sandbox.lastSeq();
    const externalReference = ref("retry");
    const out = await client.cashOut.create({ amount: "3.00", externalReference, payee: pixPayee });
    assert.equal(out.status, "PROCESSING");
    assert.equal(out.response.attempts, 3);
    const attempts = (await sandbox.requests(since)).filter((r) => r.path === "/cash-out");
    assert.deepEqual(attempts.map((r) => r.status), [503, 503, 202]);
    assert.equal(new Set(attempts.map((r) => r.idempotencyKey)).size, 1);
    assert.equal(attempts[0].idempotencyKey, out.response.idempotencyKey);
    const rows = (await sandbox.control("GET", "/_sandbox/transactions")).transactions;
    assert.equal(rows.filter((r) => r.externalReference === externalReference).length, 1);
  });

  test("commit-then-drop: outcomeUnknown with the key; re-submitting with it pays once", async () => {
    const client = await warmClient({ maxRetries: 0 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 1 });
    const params = { amount: "4.00", externalReference: ref("drop"), payee: pixPayee };
    let lost;
    await assert.rejects(
      () => client.cashOut.create(params),
      (e) => {
        lost = e;
        return e instanceof ConnectionError && e.outcomeUnknown === true && /^[0-9a-f-]{36}$/.test(e.idempotencyKey);
      },
    );
    const again = await client.cashOut.create(params, { idempotencyKey: lost.idempotencyKey });
    assert.equal(again.response.idempotencyKey, lost.idempotencyKey);
    const rows = (await sandbox.control("GET", "/_sandbox/transactions")).transactions;
    const mine = rows.filter((r) => r.externalReference === params.externalReference);
    assert.equal(mine.length, 1, "paid twice");
    assert.equal(mine[0].transactionId, again.transactionId);
  });

  test("commit-then-drop with retries left: the retry replays the first cash-out", async () => {
    const client = await warmClient({ maxRetries: 2 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 1 });
    const params = { amount: "4.50", externalReference: ref("drop2"), payee: pixPayee };
    const out = await client.cashOut.create(params);
    assert.equal(out.response.attempts, 2);
    const rows = (await sandbox.control("GET", "/_sandbox/transactions")).transactions;
    assert.equal(rows.filter((r) => r.externalReference === params.externalReference).length, 1);
  });

  test("RateLimitError after the budget, with retryAfterMs; Retry-After is honoured", async () => {
    const client = await warmClient({ maxRetries: 1 });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "rate_limit", retryAfterSeconds: 1, count: 2 });
    const started = Date.now();
    await assert.rejects(
      () => client.account.balance(),
      (e) => e instanceof RateLimitError && e.status === 429 && e.retryAfterMs === 1000 && e.attempts === 2,
    );
    assert.ok(Date.now() - started >= 950, "did not wait for Retry-After");
  });

  test("ServerError after the retry budget of a GET", async () => {
    const client = await warmClient({ maxRetries: 2 });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "status", status: 500, count: 3 });
    await assert.rejects(() => client.account.balance(), (e) => e instanceof ServerError && e.status === 500 && e.attempts === 3);
  });

  test("TimeoutError when the server is slower than timeoutMs; the deadline bounds the whole call", async () => {
    const client = await warmClient({ timeoutMs: 300, maxRetries: 1 });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "latency", latencyMs: 2000, count: 5 });
    const started = Date.now();
    await assert.rejects(() => client.account.balance(), (e) => e instanceof TimeoutError && e.outcomeUnknown === false);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1500, `took ${elapsed} ms`);
  });

  test("a money-moving POST that times out is outcomeUnknown and carries its key", async () => {
    const client = await warmClient({ timeoutMs: 300, maxRetries: 0 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "latency", latencyMs: 1500, count: 1 });
    await assert.rejects(
      () => client.cashOut.create({ amount: "1.10", externalReference: ref("slow"), payee: pixPayee }),
      (e) => e instanceof TimeoutError && e.outcomeUnknown === true && typeof e.idempotencyKey === "string",
    );
  });

  test("ConnectionError (not outcomeUnknown) when nothing listens", async () => {
    const closed = await localServer(() => {});
    closed.close();
    const client = new ConnectPSP(sandbox.options({ baseUrl: closed.url, maxRetries: 1 }));
    await assert.rejects(
      () => client.cashOut.create({ amount: "1.00", externalReference: ref("refused"), payee: pixPayee }),
      (e) => e instanceof ConnectionError && e.outcomeUnknown === false,
    );
  });
});

describe("single-flight token", () => {
  test("100 concurrent calls on a fresh client make exactly one token exchange", async () => {
    const client = new ConnectPSP(sandbox.options());
    const since = await sandbox.lastSeq();
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 100 }, () => client.account.balance()));
    // The waiters are woken by the token answer, not by their 30 s lease timeout.
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.equal(results.length, 100);
    for (const r of results) assert.equal(r.currency, "BRL");
    // Requests an earlier test gave up on (latency faults) are journaled when they end: not ours.
    const log = (await sandbox.requests(since)).filter((r) => !r.fault);
    assert.equal(log.filter((r) => r.path === "/auth/token").length, 1);
    assert.equal(log.filter((r) => r.path === "/account/balance").length, 100);
  });

  test("a failing token exchange fails every waiter once, without a storm", async () => {
    const client = new ConnectPSP(sandbox.options({ maxRetries: 0 }));
    await sandbox.fault({ method: "POST", path: "/auth/token", kind: "status", status: 500, count: 1 });
    const since = await sandbox.lastSeq();
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => client.account.balance()));
    for (const s of settled) {
      assert.equal(s.status, "rejected");
      assert.ok(s.reason instanceof ConnectPSPError);
    }
    // A latency-faulted request an earlier test gave up on may be journaled in this window
    // (this test's own token fault is a "status" one, and counted).
    const log = (await sandbox.requests(since)).filter((r) => r.fault !== "latency");
    assert.equal(log.filter((r) => r.path === "/auth/token").length, 1);
    assert.equal(log.filter((r) => r.path === "/account/balance").length, 0);
  });

  test("an expired token is refreshed once and the call replayed with the same key", async () => {
    const client = await warmClient();
    await sandbox.control("POST", "/_sandbox/clock/advance", { hours: 2 });
    const since = await sandbox.lastSeq();
    const out = await client.cashOut.create({ amount: "2.20", externalReference: ref("exp"), payee: pixPayee });
    assert.equal(out.status, "PROCESSING");
    const log = await sandbox.requests(since);
    const tokenCalls = log.filter((r) => r.path === "/auth/token");
    assert.equal(tokenCalls.length, 1);
    const posts = log.filter((r) => r.path === "/cash-out");
    assert.ok(posts.every((r) => r.idempotencyKey === out.response.idempotencyKey));
    assert.equal(posts.at(-1).status, 202);
  });
});

describe("transport rules", () => {
  test("a 3xx is an error and the redirect is never followed", async () => {
    let followed = false;
    const target = await localServer((req, res) => {
      followed = true;
      res.end("{}");
    });
    const redirector = await localServer((req, res) => {
      if (req.url === "/auth/token") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ accessToken: "t.t.t", tokenType: "Bearer", expiresIn: 3600, issuedAt: "2026-01-01T00:00:00Z" }));
        return;
      }
      res.writeHead(307, { location: `${target.url}${req.url}` });
      res.end();
    });
    try {
      const client = new ConnectPSP(sandbox.options({ baseUrl: redirector.url, maxRetries: 0 }));
      await assert.rejects(() => client.account.balance(), (e) => e instanceof ConnectPSPError && e.status === 307);
      assert.equal(followed, false);
    } finally {
      redirector.close();
      target.close();
    }
  });

  test("a response body over 10 MB is refused without reading it all", async () => {
    let written = 0;
    const huge = await localServer((req, res) => {
      if (req.url === "/auth/token") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ accessToken: "t.t.t", tokenType: "Bearer", expiresIn: 3600, issuedAt: "2026-01-01T00:00:00Z" }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return res.once("drain", pump);
        }
        res.end();
      };
      res.on("error", () => {});
      pump();
    });
    try {
      const client = new ConnectPSP(sandbox.options({ baseUrl: huge.url, maxRetries: 0 }));
      await assert.rejects(() => client.account.balance(), (e) => e instanceof ConnectPSPError && !(e instanceof TimeoutError));
      assert.ok(written < 64 * 1024 * 1024, "the whole 64 MB was read");
    } finally {
      huge.close();
    }
  });

  test("requests carry the core's headers; the User-Agent names the JS binding", async () => {
    const seen = [];
    const client = new ConnectPSP(
      sandbox.options({
        fetch: (url, init) => {
          seen.push({ url, init });
          return fetch(url, init);
        },
      }),
    );
    await client.cashOut.create({ amount: "1.00", externalReference: ref("hdr"), payee: pixPayee });
    const post = seen.find((s) => s.url.endsWith("/cash-out"));
    const headers = Object.fromEntries(post.init.headers.map(([k, v]) => [k.toLowerCase(), v]));
    assert.match(headers["user-agent"], /^connectpsp-js\/\d+\.\d+\.\d+ core\/\d+\.\d+\.\d+$/);
    assert.match(headers["x-idempotency-key"], /^[0-9a-f-]{36}$/);
    assert.match(headers.digitalsignature, /^[0-9a-f]{64}$/);
    assert.equal(post.init.redirect, "manual");
    // The amount goes on the wire as a JSON number with two decimals, never through a double.
    assert.match(Buffer.from(post.init.body).toString(), /"amount":1\.00[,}]/);
  });

  test("DigitalSignature matches every shared vector (testdata/signatures.json)", async () => {
    for (const { accessToken, cryptoToken, signature } of vector("signatures.json").digitalSignature) {
      if (!/^[\x20-\x7e]+$/.test(cryptoToken)) {
        // The core's Config takes printable-ASCII credentials only (the HMAC itself is tested
        // with this key in core); the client must refuse it up front, naming the option.
        assert.throws(() => new ConnectPSP(sandbox.options({ cryptoToken })), (e) => e instanceof esm.ValidationError && e.field === "cryptoToken");
        continue;
      }
      let sent;
      const client = new ConnectPSP(
        sandbox.options({
          cryptoToken,
          maxRetries: 0,
          // A stand-in API: hands out the vector's token, records the signed request.
          fetch: async (url, init) => {
            if (url.endsWith("/auth/token")) {
              return Response.json({ accessToken, tokenType: "Bearer", expiresIn: 3600, issuedAt: "2026-03-10T14:00:00Z" });
            }
            sent = Object.fromEntries(init.headers.map(([k, v]) => [k.toLowerCase(), v]));
            return new Response(null, { status: 503 });
          },
        }),
      );
      await assert.rejects(() => client.account.rebalance({ targetAmount: "0" }), ServerError);
      assert.equal(sent.digitalsignature, signature, accessToken);
      assert.equal(sent.authorization, `Bearer ${accessToken}`);
    }
  });
});
