// `connectpsp/testing`: webhook signing helpers (checked against the shared vectors and the
// SDK's own verification) and startSandbox() (the repository's sandbox binary on a free port).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { esm, PKG, sandboxBinary, vector } from "./helpers.mjs";

const testing = await import(pathToFileURL(join(PKG, "testing.mjs")).href);
const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));

test("the subpath export connectpsp/testing", () => {
  assert.deepEqual(manifest.exports["./testing"], { types: "./testing.d.ts", import: "./testing.mjs", require: "./testing.cjs" });
  assert.deepEqual(Object.keys(testing).sort(), ["startSandbox", "webhookEvent", "webhookSignature"]);
});

test("webhookSignature matches every signed vector of testdata/webhooks.json", () => {
  const { cryptoToken, cases } = vector("webhooks.json");
  let checked = 0;
  for (const c of cases.filter((c) => c.expect === "ok")) {
    assert.equal(testing.webhookSignature(c.body, cryptoToken), c.signature.toLowerCase(), c.name);
    checked++;
  }
  assert.ok(checked > 0);
});

test("webhookEvent builds a delivery the SDK verifies, and a wrong token does not", () => {
  const token = "crypto-token-for-tests";
  const data = { transactionId: "tx-1", status: "PAID", amount: "10.00", externalReference: "o-1", internalCode: "CI-1", payer: { name: "Ana", document: "12345678909" } };
  const { body, headers } = testing.webhookEvent("CASHIN_PAID", data, token, { eventAt: "2026-12-01T10:00:00Z" });
  assert.equal(headers["content-type"], "application/json");
  const event = esm.webhooks.constructEvent(body, headers["x-connect-signature"], token);
  assert.equal(event.eventType, "CASHIN_PAID");
  assert.equal(event.eventAt, "2026-12-01T10:00:00Z");
  assert.equal(event.data.transactionId, "tx-1");
  assert.throws(() => esm.webhooks.constructEvent(body, headers["x-connect-signature"], "another-token"), esm.WebhookSignatureError);
});

test("startSandbox: a client works against it, stop() ends it", async () => {
  const sandbox = await testing.startSandbox({ bin: sandboxBinary(), args: ["--manual-settle"] });
  assert.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const client = new esm.ConnectPSP(sandbox.options({ logger: null, maxRetries: 0 }));
  const balance = await client.account.balance();
  assert.equal(balance.currency, "BRL");
  await client.close();
  await sandbox.stop();
  await assert.rejects(() => fetch(`${sandbox.url}/_sandbox/requests`), TypeError);
  await assert.rejects(() => testing.startSandbox({ bin: "/nonexistent/connectpsp-sandbox" }), /cargo build -p connectpsp-sandbox/);
});
