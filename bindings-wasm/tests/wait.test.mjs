// cashOut.wait / cashIn.wait: polling until the transaction leaves its pending state, with the
// core's schedule, against sandboxes that settle on their own or only when told.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { inspect } from "node:util";

import { esm, startSandbox } from "./helpers.mjs";

const { ConnectPSP, TimeoutError, ValidationError } = esm;

let auto;
let manual;
before(async () => {
  [auto, manual] = await Promise.all([startSandbox(["--settle-delay-ms", "1200"]), startSandbox(["--manual-settle"])]);
});
after(() => {
  auto?.stop();
  manual?.stop();
});

const pixPayee = { name: "Maria Silva", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } };
const ref = (p) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

test("cashOut.wait returns the settled cash-out", async () => {
  const client = new ConnectPSP(auto.options({ logger: null }));
  const out = await client.cashOut.create({ amount: "1.00", externalReference: ref("wait"), payee: pixPayee });
  assert.equal(out.status, "PROCESSING");
  const since = await auto.lastSeq();
  const settled = await client.cashOut.wait(out.transactionId, { timeoutMs: 20_000 });
  assert.equal(settled.status, "COMPLETED");
  assert.equal(settled.transactionId, out.transactionId);
  const gets = (await auto.requests(since)).filter((r) => r.method === "GET" && r.path.startsWith("/cash-out/"));
  assert.ok(gets.length >= 2 && gets.length <= 4, `${gets.length} polls`);
});

test("cashIn.wait returns once the charge is paid", async () => {
  const client = new ConnectPSP(manual.options({ logger: null }));
  const ci = await client.cashIn.create({ amount: "2.00", externalReference: ref("ciwait"), payer: { name: "Ana", document: "12345678909" } });
  setTimeout(() => manual.control("POST", `/_sandbox/cash-in/${ci.transactionId}/pay`), 600);
  const paid = await client.cashIn.wait(ci.transactionId, { timeoutMs: 20_000 });
  assert.equal(paid.status, "PAID");
});

test("on timeout: TimeoutError with the last state, not enumerable", async () => {
  const client = new ConnectPSP(manual.options({ logger: null }));
  const out = await client.cashOut.create({ amount: "1.00", externalReference: ref("stuck"), payee: pixPayee });
  const started = performance.now();
  const error = await client.cashOut.wait(out.transactionId, { timeoutMs: 1_500 }).catch((e) => e);
  assert.ok(error instanceof TimeoutError, String(error));
  assert.equal(error.code, "WAIT_TIMEOUT");
  assert.equal(error.lastState.status, "PROCESSING");
  assert.equal(error.lastState.transactionId, out.transactionId);
  assert.ok(performance.now() - started < 3_000);
  assert.ok(!inspect(error).includes("12345678909") && !JSON.stringify(error).includes("Maria"));
  await assert.rejects(() => client.cashOut.wait(out.transactionId, { timeoutMs: 0 }), (e) => e instanceof ValidationError && e.field === "timeoutMs");
});
