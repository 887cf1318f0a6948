// Shared tokens across processes: the `tokenStore` option, the Redis recipe
// (examples/js/redis_token_store.mjs, npm `redis`) against a real redis-server (Debian's,
// started here on a free port and stopped after), and stores that fail, which must never fail a
// call.
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { createClient } from "redis";

import { esm, PKG, ROOT, startSandbox } from "./helpers.mjs";

const RECIPE = join(ROOT, "examples", "js", "redis_token_store.mjs");
const { RedisTokenStore } = await import(pathToFileURL(RECIPE).href);
const { ConnectPSP, InMemoryTokenStore } = esm;
const KEY_PREFIX = "connectpsp:token:v1:";

const hasRedis = spawnSync("redis-server", ["--version"]).status === 0;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let sandbox;
let redisServer;
let redisPort;
/** @type {import("redis").RedisClientType} */
let redis;

before(async () => {
  sandbox = await startSandbox(["--manual-settle"]);
  if (!hasRedis) return;
  redisPort = await freePort();
  redisServer = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  for (let i = 0; ; i++) {
    try {
      redis = await createClient({ url: `redis://127.0.0.1:${redisPort}`, socket: { connectTimeout: 1000, reconnectStrategy: false } }).connect();
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

after(async () => {
  await redis?.quit().catch(() => undefined);
  redisServer?.kill("SIGTERM");
  sandbox?.stop();
});

async function window() {
  const since = await sandbox.lastSeq();
  return {
    requests: () => sandbox.requests(since),
    count: async (method, path) => (await sandbox.requests(since)).filter((r) => r.method === method && r.path === path).length,
  };
}

/** A logger that keeps the warnings. */
function recorder() {
  const lines = [];
  return { lines, logger: { warn: (message) => lines.push(String(message)) } };
}

async function onlyEntry() {
  const keys = await redis.keys("*");
  assert.equal(keys.length, 1, String(keys));
  return { key: keys[0], value: JSON.parse(await redis.get(keys[0])), ttlMs: await redis.pTTL(keys[0]) };
}

describe("tokenStore with Redis", { skip: hasRedis ? false : "redis-server is not installed (Debian package redis-server: make tools)" }, () => {
  beforeEach(async () => {
    await redis.flushAll();
  });

  test("two clients share one token through Redis: one POST /auth/token", async () => {
    const w = await window();
    for (let i = 0; i < 2; i++) {
      const client = new ConnectPSP(sandbox.options({ logger: null, tokenStore: new RedisTokenStore(redis) }));
      const balances = await Promise.all(Array.from({ length: 8 }, () => client.account.balance()));
      assert.equal(balances.length, 8);
      await client.close();
    }
    assert.equal(await w.count("POST", "/auth/token"), 1);
    assert.equal(await w.count("GET", "/account/balance"), 16);
    const { key, value, ttlMs } = await onlyEntry();
    // Derived from the base URL and client id, naming neither (nor any secret).
    assert.ok(key.startsWith(KEY_PREFIX) && key.length === KEY_PREFIX.length + 32, key);
    assert.ok(!key.includes(sandbox.credentials.clientId));
    assert.deepEqual(Object.keys(value).sort(), ["accessToken", "expiresAt"]);
    assert.ok(ttlMs > 3_500_000 && ttlMs <= 3_600_000, String(ttlMs));
    assert.ok(Math.abs(value.expiresAt - (Date.now() + ttlMs)) < 5_000);
  });

  test("a child process takes the token another process stored", async () => {
    const first = new ConnectPSP(sandbox.options({ logger: null, tokenStore: new RedisTokenStore(redis) }));
    await first.account.balance();
    await first.close();
    const w = await window();
    const script = `
      import { createClient } from "redis";
      const { ConnectPSP } = await import(${JSON.stringify(pathToFileURL(join(PKG, "node.mjs")).href)});
      const { RedisTokenStore } = await import(${JSON.stringify(pathToFileURL(RECIPE).href)});
      const redis = await createClient({ url: "redis://127.0.0.1:${redisPort}" }).connect();
      const client = new ConnectPSP({ ...${JSON.stringify(sandbox.options())}, tokenStore: new RedisTokenStore(redis) });
      await client.account.balance();
      console.log("ok");
      await client.close();
      await redis.quit();
    `;
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, ["--input-type=module", "-e", script], { cwd: join(ROOT, "bindings-wasm", "tests"), timeout: 30_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    assert.equal(out.trim(), "ok");
    assert.equal(await w.count("POST", "/auth/token"), 0);
    assert.equal(await w.count("GET", "/account/balance"), 1);
  });

  test("a TOKEN_EXPIRED answer for the stored token: one refresh, written back", async () => {
    const first = new ConnectPSP(sandbox.options({ logger: null, tokenStore: new RedisTokenStore(redis) }));
    await first.account.balance();
    await first.close();
    const before = (await onlyEntry()).value;
    // Still valid by its expiry, but the API refuses it: the sandbox's clock passes its hour.
    await sandbox.control("POST", "/_sandbox/clock/advance", { ms: 3_660_000 });
    let w = await window();
    const second = new ConnectPSP(sandbox.options({ logger: null, tokenStore: new RedisTokenStore(redis) }));
    await second.account.balance();
    await second.close();
    const statuses = (await w.requests()).filter((r) => r.path === "/account/balance").map((r) => r.status);
    assert.deepEqual(statuses, [401, 200]);
    assert.equal(await w.count("POST", "/auth/token"), 1);
    const after = (await onlyEntry()).value;
    assert.notEqual(after.accessToken, before.accessToken);
    // The next client takes the new one.
    w = await window();
    const third = new ConnectPSP(sandbox.options({ logger: null, tokenStore: new RedisTokenStore(redis) }));
    await third.account.balance();
    await third.close();
    assert.deepEqual((await w.requests()).map((r) => r.status), [200]);
  });
});

describe("tokenStore", () => {
  test("without a store each client fetches its own token; an in-memory store shares one", async () => {
    let w = await window();
    const a = new ConnectPSP(sandbox.options({ logger: null }));
    const b = new ConnectPSP(sandbox.options({ logger: null }));
    await a.account.balance();
    await b.account.balance();
    assert.equal(await w.count("POST", "/auth/token"), 2);
    w = await window();
    const store = new InMemoryTokenStore();
    const c = new ConnectPSP(sandbox.options({ logger: null, tokenStore: store }));
    const d = new ConnectPSP(sandbox.options({ logger: null, tokenStore: store }));
    await c.account.balance();
    await Promise.all([d.account.balance(), d.account.balance(), d.account.balance()]);
    assert.equal(await w.count("POST", "/auth/token"), 1);
    assert.ok(!String(store).includes("accessToken") && !JSON.stringify(store).includes("accessToken"));
    await Promise.all([a, b, c, d].map((x) => x.close()));
  });

  test("concurrent calls of a fresh client read the store once", async () => {
    const store = new InMemoryTokenStore();
    let gets = 0;
    const counting = {
      get: async (key) => {
        gets++;
        await new Promise((r) => setTimeout(r, 20));
        return store.get(key);
      },
      set: (key, value, ttlMs) => store.set(key, value, ttlMs),
    };
    const a = new ConnectPSP(sandbox.options({ logger: null, tokenStore: counting }));
    await a.account.balance();
    const w = await window();
    const b = new ConnectPSP(sandbox.options({ logger: null, tokenStore: counting }));
    await Promise.all(Array.from({ length: 20 }, () => b.account.balance()));
    assert.equal(gets, 2);
    assert.equal(await w.count("POST", "/auth/token"), 0);
    await Promise.all([a.close(), b.close()]);
  });

  test("a store that throws, rejects or returns garbage never fails a call", async () => {
    const stores = [
      { get: () => { throw new Error("store is down"); }, set: (_k, value) => { throw new Error(`cannot write ${value}`); } },
      { get: () => Promise.reject(new Error("store is down")), set: (_k, value) => Promise.reject(new Error(`cannot write ${value}`)) },
      { get: () => "eyJ.not-an-entry", set: () => undefined },
      { get: () => JSON.stringify({ accessToken: "bad token\r\n", expiresAt: 2 ** 52 }), set: () => undefined },
      { get: () => 42, set: () => undefined },
    ];
    for (const store of stores) {
      const { lines, logger } = recorder();
      const w = await window();
      const client = new ConnectPSP(sandbox.options({ logger, tokenStore: store }));
      const payout = await client.cashOut.create({
        amount: "1.00",
        externalReference: `store-${process.pid}-${Date.now()}-${Math.random()}`,
        payee: { name: "Maria Silva", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } },
      });
      assert.equal(payout.status, "PROCESSING");
      assert.equal(await w.count("POST", "/auth/token"), 1);
      assert.equal(await w.count("POST", "/cash-out"), 1);
      const text = lines.join("\n");
      assert.match(text, /token store/);
      // Neither the value (a `set` error quotes it) nor what the store returned.
      for (const secret of ["cannot write", '"accessToken":"', "not-an-entry", "bad token"]) assert.ok(!text.includes(secret), text);
      await client.close();
    }
  });

  test("a hanging store is abandoned after the core's timeout", async () => {
    const { lines, logger } = recorder();
    const never = new Promise(() => {});
    const client = new ConnectPSP(sandbox.options({ logger, tokenStore: { get: () => never, set: () => never } }));
    const started = performance.now();
    await client.account.balance();
    const elapsed = performance.now() - started;
    const limit = 2_000; // TOKEN_STORE_TIMEOUT_MS, for the get and again for the set
    assert.ok(elapsed >= limit * 2 - 100 && elapsed < limit * 2 + 3_000, String(elapsed));
    assert.match(lines.join("\n"), /get took over 2000 ms/);
    assert.match(lines.join("\n"), /set took over 2000 ms/);
    await client.close();
  });

  test("a store without get and set is refused at construction", () => {
    assert.throws(() => new ConnectPSP(sandbox.options({ tokenStore: {} })), /tokenStore/);
  });
});

describe("tokenStore: a slow store never holds a call up", () => {
  const SLOW_MS = 1_500;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  /** A store whose reads (or writes) take SLOW_MS; `writes` records what was written. */
  function slowStore({ slowGet = false, slowSet = false } = {}) {
    const store = new InMemoryTokenStore();
    const writes = [];
    return {
      writes,
      get: async (key) => {
        if (slowGet) await sleep(SLOW_MS);
        return store.get(key);
      },
      set: async (key, value, ttlMs) => {
        if (slowSet) await sleep(SLOW_MS);
        store.set(key, value, ttlMs);
        writes.push(key);
      },
    };
  }
  const payout = (prefix) => ({
    amount: "1.00",
    externalReference: `${prefix}-${process.pid}-${Date.now()}-${Math.random()}`,
    payee: { name: "Maria Silva", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } },
  });

  beforeEach(async () => {
    await sandbox.control("DELETE", "/_sandbox/faults");
  });

  test("the AbortSignal ends a call waiting for the store's read: at once, nothing sent", async () => {
    const client = new ConnectPSP(sandbox.options({ logger: null, tokenStore: slowStore({ slowGet: true }) }));
    const w = await window();
    const started = performance.now();
    const error = await client.cashOut.create(payout("slow-get-abort"), { signal: AbortSignal.timeout(100) }).catch((e) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof esm.AbortError, String(error));
    assert.equal(error.outcomeUnknown, false);
    assert.ok(elapsed < 600, `settled after ${elapsed} ms`);
    assert.deepEqual(await w.requests(), []);
    await client.close();
  });

  test("the call's deadline bounds the wait for the store's read", async () => {
    const client = new ConnectPSP(sandbox.options({ logger: null, tokenStore: slowStore({ slowGet: true }) }));
    const w = await window();
    const started = performance.now();
    const error = await client.account.balance({ deadlineMs: 300 }).catch((e) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof esm.TimeoutError, String(error));
    assert.ok(elapsed < 900, `settled after ${elapsed} ms`);
    assert.deepEqual(await w.requests(), []);
    await client.close();
  });

  test("a failed call's error does not wait for a slow write, and the write still happens", async () => {
    const store = slowStore({ slowSet: true });
    const client = new ConnectPSP(sandbox.options({ logger: null, maxRetries: 0, tokenStore: store }));
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "status", status: 503, count: 1 });
    const started = performance.now();
    const error = await client.account.balance().catch((e) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof esm.ServerError, String(error));
    assert.ok(elapsed < SLOW_MS - 500, `the error waited ${elapsed} ms for the store`);
    assert.equal(store.writes.length, 0);
    // The token fetched by the failed call reaches the store; close() waits for that write.
    await client.close();
    assert.equal(store.writes.length, 1);
    assert.ok(performance.now() - started >= SLOW_MS - 50);
  });
});
