// The Node transport (undici) and the driver loop's own guarantees, over real HTTP: which client
// performs the requests, connect-phase "not sent" classification, timers that cannot overflow,
// a monotonic clock, cancellation by AbortSignal (the key kept, the token refresh handed over),
// the replay flag and the per-attempt log line.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";

import { esm, PKG, startSandbox } from "./helpers.mjs";

const { ConnectPSP, ConnectPSPError, AbortError, ConnectionError, TimeoutError, ValidationError } = esm;
// The classifier itself, from the bundled layer (internal, not part of the API).
const { connectPhaseCode } = createRequire(import.meta.url)(join(PKG, "cjs", "index.js"));

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
const payout = (prefix, amount = "1.00") => ({ amount, externalReference: ref(prefix), payee: pixPayee });

/** A logger that records every line by level. */
function recorder() {
  const lines = { debug: [], info: [], warn: [], error: [] };
  const logger = Object.fromEntries(Object.keys(lines).map((level) => [level, (message) => lines[level].push(message)]));
  return { logger, lines };
}

async function warmClient(overrides = {}) {
  const client = new ConnectPSP(sandbox.options({ logger: null, ...overrides }));
  await client.account.balance();
  return client;
}

async function localServer(handler, onConnection) {
  const server = createServer(handler);
  if (onConnection) server.on("connection", onConnection);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: (done) => server.close(done) };
}

const TOKEN_BODY = JSON.stringify({ accessToken: "t.t.t", tokenType: "Bearer", expiresIn: 3600, issuedAt: "2026-01-01T00:00:00Z" });

describe("the Node transport", () => {
  test("requests go through undici, not the global fetch, unless a fetch is passed", async () => {
    const original = globalThis.fetch;
    let globalCalls = 0;
    globalThis.fetch = (...args) => {
      globalCalls += 1;
      return original(...args);
    };
    try {
      const client = await warmClient();
      const out = await client.cashOut.create(payout("undici"));
      assert.equal(out.status, "PROCESSING");
      assert.equal(globalCalls, 0, "the global fetch performed SDK requests");
      await client.close();
      let optionCalls = 0;
      const viaOption = new ConnectPSP(
        sandbox.options({ logger: null, fetch: (url, init) => (optionCalls++, original(url, init)) }),
      );
      await viaOption.account.balance();
      assert.equal(optionCalls, 2, "the fetch option must carry the token exchange and the call");
    } finally {
      globalThis.fetch = original;
    }
  });

  test("keep-alive: 50 sequential calls reuse a handful of connections", async () => {
    let connections = 0;
    const server = await localServer(
      (req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        if (req.url === "/auth/token") return res.end(TOKEN_BODY);
        res.end(JSON.stringify({ success: true, message: "ok" }));
      },
      () => connections++,
    );
    try {
      const client = new ConnectPSP(sandbox.options({ baseUrl: server.url, logger: null }));
      for (let i = 0; i < 50; i++) await client.account.rebalance({ targetAmount: "0" });
      await client.close();
      assert.ok(connections <= 2, `${connections} connections for 51 requests`);
    } finally {
      server.close();
    }
  });

  test("the fetch option keeps the same rules: 3xx not followed, 10 MB cap, timeout", async () => {
    const server = await localServer((req, res) => {
      if (req.url === "/auth/token") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(TOKEN_BODY);
      }
      if (req.url === "/cash-out/redirect") {
        res.writeHead(302, { location: "/cash-out/elsewhere" });
        return res.end();
      }
      if (req.url === "/cash-out/slow") return setTimeout(() => res.end("{}"), 1500);
      if (req.url === "/cash-out/stall") {
        // The answer begins, then stalls mid-body: the attempt's timeout covers the body too.
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.on("error", () => {});
        return res.write('{"transactionId":');
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": String(11 * 1024 * 1024) });
      res.on("error", () => {});
      res.write(Buffer.alloc(1024, 0x20));
    });
    try {
      for (const fetchOption of [undefined, globalThis.fetch]) {
        const client = new ConnectPSP(sandbox.options({ baseUrl: server.url, maxRetries: 0, timeoutMs: 400, logger: null, fetch: fetchOption }));
        const label = fetchOption ? "fetch" : "undici";
        await assert.rejects(() => client.cashOut.get("redirect"), (e) => e instanceof ConnectPSPError && e.status === 302, label);
        await assert.rejects(() => client.cashOut.get("huge"), (e) => e instanceof ConnectPSPError && !(e instanceof TimeoutError), label);
        await assert.rejects(() => client.cashOut.get("slow"), (e) => e instanceof TimeoutError, label);
        const started = performance.now();
        await assert.rejects(() => client.cashOut.get("stall"), (e) => e instanceof TimeoutError, label);
        assert.ok(performance.now() - started < 1_500, `${label}: the stalled body took ${performance.now() - started} ms`);
        const stalled = new AbortController();
        setTimeout(() => stalled.abort(), 100);
        await assert.rejects(
          () => client.cashOut.get("stall", { signal: stalled.signal, timeoutMs: 5_000 }),
          (e) => e instanceof AbortError && e.name === "AbortError",
          label,
        );
        await client.close();
      }
    } finally {
      server.close();
    }
  });
});

describe("not sent means the connect phase only", () => {
  test("the classifier: connect-phase errors only, whatever the errno", () => {
    const err = (code, syscall) => Object.assign(new Error(code), { code, syscall });
    assert.equal(connectPhaseCode(err("ECONNREFUSED", "connect")), "ECONNREFUSED");
    assert.equal(connectPhaseCode(err("ENOTFOUND", "getaddrinfo")), "ENOTFOUND");
    assert.equal(connectPhaseCode(err("EHOSTUNREACH", "connect")), "EHOSTUNREACH");
    assert.equal(connectPhaseCode(new TypeError("fetch failed", { cause: err("ENETUNREACH", "connect") })), "ENETUNREACH");
    assert.equal(connectPhaseCode(err("UND_ERR_CONNECT_TIMEOUT")), "UND_ERR_CONNECT_TIMEOUT");
    assert.equal(connectPhaseCode(err("ECONNREFUSED")), "ECONNREFUSED"); // only a connect can be refused
    // The same errno on an established keep-alive socket: the request may have been received.
    assert.equal(connectPhaseCode(err("EHOSTUNREACH", "read")), undefined);
    assert.equal(connectPhaseCode(err("ENETUNREACH", "write")), undefined);
    assert.equal(connectPhaseCode(new TypeError("fetch failed", { cause: err("EHOSTUNREACH") })), undefined);
    assert.equal(connectPhaseCode(err("ECONNRESET", "read")), undefined);
    assert.equal(connectPhaseCode(err("UND_ERR_SOCKET")), undefined);
    assert.equal(connectPhaseCode(new TypeError("Failed to fetch")), undefined);
    // Happy eyeballs: not sent only when every address failed to connect.
    const both = Object.assign(new AggregateError([err("ECONNREFUSED", "connect"), err("ECONNREFUSED", "connect")]), { code: "ECONNREFUSED" });
    assert.equal(connectPhaseCode(both), "ECONNREFUSED");
  });

  test("EHOSTUNREACH on a reused socket: the payout's outcome is unknown", async () => {
    let posts = 0;
    const client = new ConnectPSP(
      sandbox.options({
        maxRetries: 1,
        logger: null,
        fetch: async (url, init) => {
          if (url.endsWith("/cash-out")) {
            posts++;
            throw new TypeError("fetch failed", { cause: Object.assign(new Error("read EHOSTUNREACH"), { code: "EHOSTUNREACH", syscall: "read" }) });
          }
          return fetch(url, init);
        },
      }),
    );
    await assert.rejects(
      () => client.cashOut.create(payout("unreach")),
      (e) => e instanceof ConnectionError && e.outcomeUnknown === true && /^[0-9a-f-]{36}$/.test(e.idempotencyKey),
    );
    assert.equal(posts, 2, "a keyed POST is retried with its key");
  });

  test("EHOSTUNREACH while connecting: not sent, so not outcomeUnknown", async () => {
    const client = new ConnectPSP(
      sandbox.options({
        maxRetries: 0,
        logger: null,
        fetch: async (url, init) => {
          if (url.endsWith("/cash-out")) {
            throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect EHOSTUNREACH"), { code: "EHOSTUNREACH", syscall: "connect" }) });
          }
          return fetch(url, init);
        },
      }),
    );
    await assert.rejects(() => client.cashOut.create(payout("unreach-connect")), (e) => e instanceof ConnectionError && e.outcomeUnknown === false);
  });

  test("undici: a refused connection is not sent; the payout is not outcomeUnknown", async () => {
    const sockets = new Set();
    let posts = 0;
    const server = await localServer(
      (req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        if (req.url === "/auth/token") return res.end(TOKEN_BODY);
        posts++;
        res.end(JSON.stringify({ success: true, message: "ok" }));
      },
      (socket) => sockets.add(socket),
    );
    try {
      const client = new ConnectPSP(sandbox.options({ baseUrl: server.url, maxRetries: 0, logger: null }));
      // The token is fetched; then the server stops listening and drops its keep-alive
      // sockets, so the payout needs a new connection and is refused.
      await client.account.rebalance({ targetAmount: "0" });
      posts = 0;
      await new Promise((resolve) => {
        server.close(resolve);
        for (const socket of sockets) socket.destroy();
      });
      // Time for undici to see its idle sockets close (else the payout may go out on one).
      await new Promise((resolve) => setTimeout(resolve, 200));
      await assert.rejects(
        () => client.cashOut.create(payout("refused")),
        (e) => e instanceof ConnectionError && e.outcomeUnknown === false && /could not connect/.test(e.message),
      );
      assert.equal(posts, 0);
      await client.close();
    } finally {
      server.close();
    }
  });

  test("undici: a keep-alive socket reset after the payout was read is outcomeUnknown", async () => {
    let served = 0;
    const server = await localServer((req, res) => {
      if (req.url === "/auth/token") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(TOKEN_BODY);
      }
      req.resume();
      req.on("end", () => {
        served++;
        req.socket.destroy(); // the server got the payout and dropped the connection
      });
    });
    try {
      const client = new ConnectPSP(sandbox.options({ baseUrl: server.url, maxRetries: 0, logger: null }));
      await assert.rejects(() => client.cashOut.create(payout("reset")), (e) => e instanceof ConnectionError && e.outcomeUnknown === true);
      assert.equal(served, 1);
      await client.close();
    } finally {
      server.close();
    }
  });
});

describe("time", () => {
  test("a timeoutMs beyond setTimeout's range does not fire at once", async () => {
    let client;
    try {
      client = await warmClient({ timeoutMs: 2 ** 31 + 1000, maxRetries: 0 });
    } catch (error) {
      // A core that caps the option refuses it by name: the overflow cannot happen either.
      assert.ok(error instanceof ValidationError && error.field === "timeoutMs", String(error));
      return;
    }
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "latency", latencyMs: 300, count: 1 });
    const balance = await client.account.balance();
    assert.equal(balance.currency, "BRL");
  });

  test("a wall-clock step back during a backoff neither hangs nor stretches the call", { timeout: 15_000 }, async () => {
    const realNow = Date.now;
    // The 503's log line is written after the answer, before the backoff: from then on the
    // system clock reads one hour earlier (an NTP step).
    const logger = {
      info: () => {
        Date.now = () => realNow() - 3_600_000;
      },
    };
    const client = await warmClient({ maxRetries: 2, logger });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "status", status: 503, count: 1 });
    const started = performance.now();
    try {
      const balance = await client.account.balance();
      assert.equal(balance.currency, "BRL");
      assert.equal(balance.response.attempts, 2);
    } finally {
      Date.now = realNow;
    }
    assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
  });
});

describe("AbortSignal", () => {
  test("an already-aborted signal: AbortError before anything is sent", async () => {
    const client = await warmClient();
    const since = await sandbox.lastSeq();
    const error = await client.cashOut.create(payout("pre"), { signal: AbortSignal.abort() }).catch((e) => e);
    assert.ok(error instanceof AbortError && error instanceof ConnectPSPError);
    assert.equal(error.name, "AbortError");
    assert.equal(error.outcomeUnknown, false);
    assert.match(error.idempotencyKey, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await sandbox.requests(since), []);
  });

  test("aborted while the payout is in flight: outcomeUnknown, the key, one warning; resubmit pays once", async () => {
    const { logger, lines } = recorder();
    const client = await warmClient({ logger, maxRetries: 0 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "latency", latencyMs: 600, count: 1 });
    const params = payout("abort-flight", "2.50");
    const since = await sandbox.lastSeq();
    const started = performance.now();
    const error = await client.cashOut.create(params, { signal: AbortSignal.timeout(150) }).catch((e) => e);
    assert.ok(performance.now() - started < 500, "the signal did not end the call promptly");
    assert.ok(error instanceof AbortError, String(error));
    assert.equal(error.outcomeUnknown, true);
    assert.equal(lines.warn.length, 1, lines.warn.join("\n"));
    assert.match(lines.warn[0], /cashOut\.create/);
    assert.ok(lines.warn[0].includes(error.idempotencyKey));
    assert.ok(!lines.warn[0].includes(params.payee.document));
    // The sandbox finishes the request the client gave up on (journaled at its end).
    await new Promise((resolve) => setTimeout(resolve, 800));
    const sent = (await sandbox.requests(since)).filter((r) => r.path === "/cash-out");
    assert.equal(sent.length, 1);
    assert.equal(error.idempotencyKey, sent[0].idempotencyKey);
    const again = await client.resubmit(error);
    assert.equal(again.response.idempotencyKey, error.idempotencyKey);
    const rows = (await sandbox.control("GET", "/_sandbox/transactions")).transactions;
    assert.equal(rows.filter((r) => r.externalReference === params.externalReference).length, 1);
  });

  test("aborted during a backoff of a GET: prompt, not outcomeUnknown, no warning", async () => {
    const { logger, lines } = recorder();
    const client = await warmClient({ logger, maxRetries: 2 });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "rate_limit", retryAfterSeconds: 5, count: 3 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const error = await client.account.balance({ signal: controller.signal }).catch((e) => e);
    assert.ok(error instanceof AbortError, String(error));
    assert.equal(error.outcomeUnknown, false);
    assert.ok(performance.now() - started < 2_000);
    assert.equal(lines.warn.length, 0);
  });

  test("a token refresh led by an aborted call is handed over: one exchange, the others succeed", async () => {
    const client = new ConnectPSP(sandbox.options({ logger: null }));
    await sandbox.fault({ method: "POST", path: "/auth/token", kind: "latency", latencyMs: 500, count: 1 });
    const since = await sandbox.lastSeq();
    const controller = new AbortController();
    const leader = client.account.balance({ signal: controller.signal });
    const followers = Array.from({ length: 5 }, () => client.account.balance());
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const leaderError = await leader.catch((e) => e);
    assert.ok(leaderError instanceof AbortError);
    assert.ok(performance.now() - started < 400, "the aborted call waited for the token");
    for (const balance of await Promise.all(followers)) assert.equal(balance.currency, "BRL");
    // The slow exchange is journaled when it ends: wait past its latency before counting.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 700 - (performance.now() - started))));
    const log = await sandbox.requests(since);
    assert.equal(log.filter((r) => r.path === "/auth/token").length, 1, "the refresh was abandoned and redone");
    assert.equal(log.filter((r) => r.path === "/account/balance").length, 5);
  });

  test("a signal that is not an AbortSignal is refused by name", async () => {
    const client = await warmClient();
    await assert.rejects(() => client.account.balance({ signal: {} }), (e) => e instanceof ValidationError && e.field === "signal");
  });
});

describe("replay flag and log line", () => {
  test("response.replayed: false when created, true when the same key finds the original", async () => {
    const client = await warmClient();
    const params = payout("replay", "3.30");
    const first = await client.cashOut.create(params);
    assert.equal(first.response.replayed, false);
    const again = await client.cashOut.create(params, { idempotencyKey: first.response.idempotencyKey });
    assert.equal(again.response.replayed, true);
    assert.equal(again.transactionId, first.transactionId);
    assert.ok(!("replayed" in JSON.parse(JSON.stringify(again))));
  });

  test("one line per attempt through the logger: method, path, status, ms, attempt, key; no secret", async () => {
    const { logger, lines } = recorder();
    const client = await warmClient({ logger, maxRetries: 2 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "status", status: 503, count: 1 });
    const out = await client.cashOut.create(payout("log"));
    const key = out.response.idempotencyKey;
    assert.ok(lines.info.some((l) => l === `POST /cash-out -> 503 in ${/in (\d+) ms/.exec(l)?.[1]} ms (attempt 1, idempotency key ${key})`), lines.info.join("\n"));
    assert.ok(lines.debug.some((l) => /^POST \/cash-out -> 202 in \d+ ms \(attempt 2, idempotency key /.test(l) && l.includes(key)), lines.debug.join("\n"));
    const all = Object.values(lines).flat().join("\n");
    for (const secret of Object.values(sandbox.credentials)) assert.ok(!all.includes(secret), "a credential was logged");
    assert.ok(!all.includes("12345678909"), "a document was logged");
  });

  test("a logger that throws never fails the call", async () => {
    const boom = () => {
      throw new Error("logger down");
    };
    const client = await warmClient({ logger: { debug: boom, info: boom, warn: boom, error: boom } });
    const out = await client.cashOut.create(payout("boom"));
    assert.equal(out.status, "PROCESSING");
  });
});

