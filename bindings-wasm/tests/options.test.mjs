// Per-call options ({ timeoutMs, deadlineMs, maxRetries }) and the request/response events,
// over real HTTP against a private sandbox.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { esm, startSandbox } from "./helpers.mjs";

const { ConnectPSP, ConnectionError, RateLimitError, ServerError, TimeoutError, ValidationError } = esm;

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
const payout = (prefix) => ({ amount: "1.00", externalReference: ref(prefix), payee: pixPayee });

// The sandbox journals a request when it has answered it, even when the client has given up: a
// test that leaves a slow answer behind waits for it, or it lands in a later test's "nothing
// was sent" window.
async function journaled(since, count) {
  const until = performance.now() + 5000;
  while ((await sandbox.requests(since)).length < count && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function warmClient(overrides = {}) {
  const client = new ConnectPSP(sandbox.options({ logger: null, ...overrides }));
  await client.account.balance();
  return client;
}

describe("per-call options", () => {
  test("maxRetries overrides the client's, for this call only", async () => {
    const client = await warmClient({ maxRetries: 0 });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "status", status: 503, count: 1 });
    const balance = await client.account.balance({ maxRetries: 1 });
    assert.equal(balance.response.attempts, 2);
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "status", status: 503, count: 1 });
    await assert.rejects(() => client.account.balance(), (e) => e instanceof ServerError && e.attempts === 1);
  });

  test("timeoutMs overrides the client's attempt budget", async () => {
    const client = await warmClient({ timeoutMs: 30_000, maxRetries: 0 });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "latency", latencyMs: 1500, count: 1 });
    const since = await sandbox.lastSeq();
    const started = performance.now();
    await assert.rejects(() => client.account.balance({ timeoutMs: 200 }), TimeoutError);
    assert.ok(performance.now() - started < 1200, `took ${performance.now() - started} ms`);
    await journaled(since, 1);
  });

  test("deadlineMs bounds the whole call across retries", async () => {
    const client = await warmClient({ timeoutMs: 30_000, maxRetries: 3 });
    await sandbox.fault({ method: "GET", path: "/account/balance", kind: "latency", latencyMs: 1500, count: 4 });
    const since = await sandbox.lastSeq();
    const started = performance.now();
    let attempts = 0;
    await assert.rejects(
      () => client.account.balance({ deadlineMs: 400 }),
      (e) => e instanceof TimeoutError && (attempts = e.attempts) >= 1,
    );
    assert.ok(performance.now() - started < 1200, `took ${performance.now() - started} ms`);
    await journaled(since, attempts);
  });

  test("a bad override is a ValidationError naming it, before anything is sent", async () => {
    const client = await warmClient();
    const since = await sandbox.lastSeq();
    for (const [options, field] of [
      [{ timeoutMs: 0 }, "timeoutMs"],
      [{ timeoutMs: -5 }, "timeoutMs"],
      [{ deadlineMs: 2 ** 31 }, "deadlineMs"],
      [{ maxRetries: 11 }, "maxRetries"],
      [{ maxRetries: "2" }, "maxRetries"],
      [{ timeoutMs: 1.5 }, "timeoutMs"],
    ]) {
      await assert.rejects(
        () => client.cashOut.create(payout("bad-opt"), options),
        (e) => e instanceof ValidationError && e.field === field,
        JSON.stringify(options),
      );
    }
    assert.deepEqual(await sandbox.requests(since), []);
  });
});

describe("events", () => {
  test("request and response per attempt: template, attempt, key, status, willRetry; no secret", async () => {
    const client = await warmClient({ maxRetries: 2 });
    const requests = [];
    const responses = [];
    client.on("request", (e) => requests.push(e)).on("response", (e) => responses.push(e));
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "status", status: 503, count: 1 });
    const out = await client.cashOut.create(payout("events"));
    const key = out.response.idempotencyKey;
    assert.deepEqual(
      requests.map((e) => [e.call, e.purpose, e.method, e.path, e.attempt, e.idempotencyKey]),
      [
        ["cashOut.create", "api", "POST", "/cash-out", 1, key],
        ["cashOut.create", "api", "POST", "/cash-out", 2, key],
      ],
    );
    assert.deepEqual(
      responses.map((e) => [e.attempt, e.status, e.willRetry, e.outcomeUnknown, e.failure]),
      [
        [1, 503, true, false, null],
        [2, 202, false, false, null],
      ],
    );
    for (const e of responses) {
      assert.equal(typeof e.elapsedMs, "number");
      assert.equal(typeof e.requestId, "string");
    }
    const text = JSON.stringify([...requests, ...responses]);
    for (const secret of Object.values(sandbox.credentials)) assert.ok(!text.includes(secret), "a credential in an event");
    assert.ok(!text.includes("12345678909") && !text.includes("Maria"), "personal data in an event");

    // A GET shows the template, not the id; off() stops the events.
    const before = responses.length;
    await client.cashOut.get(out.transactionId);
    assert.equal(responses.at(-1).path, "/cash-out/{id}");
    assert.ok(!JSON.stringify(responses.at(-1)).includes(out.transactionId));
    const onResponse = () => assert.fail("removed listener called");
    client.on("response", onResponse).off("response", onResponse);
    await client.account.balance();
    assert.equal(responses.length, before + 2);
  });

  test("the token exchange a call leads is an event of its own", async () => {
    const client = new ConnectPSP(sandbox.options({ logger: null }));
    const seen = [];
    client.on("response", (e) => seen.push(`${e.purpose} ${e.method} ${e.path} ${e.status}`));
    await client.account.balance();
    assert.deepEqual(seen, ["token POST /auth/token 200", "api GET /account/balance 200"]);
  });

  test("a dropped payout: failure io, outcomeUnknown true, no retry left", async () => {
    const client = await warmClient({ maxRetries: 0 });
    const responses = [];
    client.on("response", (e) => responses.push(e));
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 1 });
    await assert.rejects(() => client.cashOut.create(payout("drop")), (e) => e instanceof ConnectionError && e.outcomeUnknown);
    assert.equal(responses.length, 1);
    assert.equal(responses[0].status, null);
    assert.equal(responses[0].failure, "io");
    assert.equal(responses[0].outcomeUnknown, true);
    assert.equal(responses[0].willRetry, false);
  });

  test("a listener that throws or rejects is logged and ignored: the payout happens once", async () => {
    const warnings = [];
    const client = await warmClient({ logger: { warn: (m) => warnings.push(m) } });
    client.on("request", () => {
      throw new Error("hook down");
    });
    client.on("response", async () => {
      throw new Error("async hook down");
    });
    const params = payout("hook");
    const out = await client.cashOut.create(params);
    assert.equal(out.status, "PROCESSING");
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(warnings.some((w) => w.includes('"request" listener threw') && w.includes("hook down")), warnings.join("\n"));
    assert.ok(warnings.some((w) => w.includes('"response" listener threw') && w.includes("async hook down")), warnings.join("\n"));
    const rows = (await sandbox.control("GET", "/_sandbox/transactions")).transactions;
    assert.equal(rows.filter((r) => r.externalReference === params.externalReference).length, 1);
  });

  test("on() refuses an unknown event or a non-function", () => {
    const client = new ConnectPSP(sandbox.options({ logger: null }));
    assert.throws(() => client.on("retry", () => {}), TypeError);
    assert.throws(() => client.on("request", "nope"), TypeError);
  });
});

describe("possiblyApplied: re-sending with a saved key", () => {
  // The payout is applied, its answer lost; a new process re-sends it with the key it saved,
  // and the API refuses that re-send before doing anything (a 429). The refusal says nothing
  // about the original, which exists: with possiblyApplied it must read as outcome unknown.
  test("a refused re-send of an applied payout is outcomeUnknown, with the key; then it resolves once", async () => {
    const params = payout("saved-key");
    const first = await warmClient({ maxRetries: 0 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 1 });
    const lost = await first.cashOut.create(params).catch((e) => e);
    assert.ok(lost instanceof ConnectionError && lost.outcomeUnknown, String(lost));
    const saved = lost.idempotencyKey;
    await first.close();

    const restarted = await warmClient({ maxRetries: 0 });
    await sandbox.fault({ method: "POST", path: "/cash-out", kind: "rate_limit", retryAfterSeconds: 1, count: 2 });
    const refused = await restarted.cashOut
      .create(params, { idempotencyKey: saved, possiblyApplied: true })
      .catch((e) => e);
    assert.ok(refused instanceof RateLimitError, String(refused));
    assert.equal(refused.outcomeUnknown, true);
    assert.equal(refused.idempotencyKey, saved);
    // Without the mark the same refusal looks definitive: what the option is for.
    const plain = await restarted.cashOut.create(params, { idempotencyKey: saved }).catch((e) => e);
    assert.ok(plain instanceof RateLimitError, String(plain));
    assert.equal(plain.outcomeUnknown, false);

    const resolved = await restarted.cashOut.create(params, { idempotencyKey: saved, possiblyApplied: true });
    assert.equal(resolved.response.idempotencyKey, saved);
    assert.equal(resolved.response.replayed, true);
    const rows = (await sandbox.control("GET", "/_sandbox/transactions")).transactions;
    assert.equal(rows.filter((r) => r.externalReference === params.externalReference).length, 1);
  });

  test("possiblyApplied needs the saved key and a keyed call; nothing is sent otherwise", async () => {
    const client = await warmClient();
    const since = await sandbox.lastSeq();
    const noKey = await client.cashOut.create(payout("no-key"), { possiblyApplied: true }).catch((e) => e);
    assert.ok(noKey instanceof ValidationError, String(noKey));
    assert.equal(noKey.field, "idempotencyKey");
    const onGet = await client.cashOut.get("IVKPRMOCDY", { possiblyApplied: true }).catch((e) => e);
    assert.ok(onGet instanceof ValidationError, String(onGet));
    assert.equal(onGet.field, "possiblyApplied");
    const notBool = await client.cashOut
      .create(payout("not-bool"), { idempotencyKey: esm.idempotencyKeyFor("x"), possiblyApplied: "yes" })
      .catch((e) => e);
    assert.ok(notBool instanceof ValidationError, String(notBool));
    assert.equal(notBool.field, "possiblyApplied");
    assert.deepEqual(await sandbox.requests(since), []);
  });
});
