// parseStep (ts/driver.ts) against the step texts the wasm crate writes (step_text in
// bindings-wasm/src/lib.rs): the fixed lines read one by one, the body or the reply JSON taken
// whole, newlines and all. No sandbox: the decoder alone.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { PKG } from "./helpers.mjs";

// The bundled layer (entries/layer.mjs) exports the decoder for the package's own tests.
const { parseStep } = createRequire(import.meta.url)(join(PKG, "cjs", "index.js"));

test("a send step: its headers as pairs, the body whole even with line breaks", () => {
  const body = '{"description":"line one\nline two","amount":1.00}';
  const text = ["send", "api", "30000", "POST", "https://x.test/cash-out", "2", "Accept", "application/json",
    "X-Idempotency-Key", "k-1", body].join("\n");
  assert.deepEqual(parseStep(text), {
    type: "send",
    purpose: "api",
    timeoutMs: 30000,
    method: "POST",
    url: "https://x.test/cash-out",
    headers: ["Accept", "application/json", "X-Idempotency-Key", "k-1"],
    body,
  });
});

test("a send step without headers or body (a GET)", () => {
  const step = parseStep(["send", "token", "5000", "GET", "https://x.test/balance", "0", ""].join("\n"));
  assert.deepEqual(step.headers, []);
  assert.equal(step.body, "");
  assert.equal(step.purpose, "token");
  assert.equal(step.url, "https://x.test/balance");
});

test("an ok step: flags, optional ids and the reply JSON (amounts stay decimal strings)", () => {
  const reply = '{"amount":"1.00","note":"a\\nb","payee":{"name":"Maria"}}';
  const step = parseStep(["ok", "202", "3", "1", "0", "=req-1", "=key-9", reply].join("\n"));
  assert.deepEqual(step, {
    type: "done",
    ok: true,
    status: 202,
    attempts: 3,
    replayed: true,
    pending: false,
    requestId: "req-1",
    idempotencyKey: "key-9",
    data: { amount: "1.00", note: "a\nb", payee: { name: "Maria" } },
  });
  const bare = parseStep(["ok", "200", "1", "0", "1", "", "", "{}"].join("\n"));
  assert.equal(bare.requestId, null);
  assert.equal(bare.idempotencyKey, null);
  assert.equal(bare.pending, true);
  assert.deepEqual(bare.data, {});
});

test("sleep, awaitToken and error steps; an unknown kind is an internal error", () => {
  assert.deepEqual(parseStep("sleep\n250"), { type: "sleep", ms: 250 });
  assert.deepEqual(parseStep("awaitToken\n1000"), { type: "awaitToken", ms: 1000 });
  const json = '{"kind":"decode",\n"outcomeUnknown":true,"idempotencyKey":"k"}';
  assert.deepEqual(parseStep(`error\n${json}`), { type: "done", ok: false, json });
  assert.throws(() => parseStep("later\n1"), /unknown step/);
});
