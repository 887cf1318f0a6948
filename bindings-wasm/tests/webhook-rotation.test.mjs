// Webhook key rotation at the client: `webhookCryptoTokens: [new, old]` and
// `webhookToleranceMs` on `new ConnectPSP(...)`, and per-delivery overrides of
// `client.webhooks.constructEvent(body, headers, { cryptoToken, toleranceMs })`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { esm, PKG } from "./helpers.mjs";

const { ConnectPSP, ValidationError, WebhookSignatureError } = esm;
const { webhookEvent } = await import(pathToFileURL(join(PKG, "testing.mjs")).href);

const CREDENTIALS = {
  clientId: "rotation-client",
  clientSecret: "rotation-secret",
  applicationToken: "rotation-app",
  cryptoToken: "own-token",
  baseUrl: "http://127.0.0.1:9",
  logger: null,
};
const DATA = { transactionId: "T9", status: "PAID", amount: "3.00" };
const signed = (token, eventAt) => webhookEvent("CASHIN_PAID", DATA, token, eventAt ? { eventAt } : {});

test("by default only the client's cryptoToken verifies", () => {
  const client = new ConnectPSP(CREDENTIALS);
  const own = signed("own-token");
  assert.equal(client.webhooks.constructEvent(own.body, own.headers).data.transactionId, "T9");
  const old = signed("old-token");
  assert.throws(() => client.webhooks.constructEvent(old.body, old.headers), WebhookSignatureError);
});

test("a client with webhookCryptoTokens accepts each listed token, and only those", () => {
  const client = new ConnectPSP({ ...CREDENTIALS, webhookCryptoTokens: ["new-token", "old-token"] });
  for (const token of ["new-token", "old-token"]) {
    const { body, headers } = signed(token);
    assert.equal(client.webhooks.constructEvent(body, headers).eventType, "CASHIN_PAID");
  }
  for (const token of ["another-token", "own-token"]) {
    const { body, headers } = signed(token);
    assert.throws(() => client.webhooks.constructEvent(body, headers), WebhookSignatureError);
  }
});

test("webhookToleranceMs at the client, and per-delivery overrides", () => {
  const stale = signed("own-token", "2020-01-01T00:00:00Z");
  const plain = new ConnectPSP(CREDENTIALS);
  assert.ok(plain.webhooks.constructEvent(stale.body, stale.headers).data); // off by default
  assert.throws(() => plain.webhooks.constructEvent(stale.body, stale.headers, { toleranceMs: 300_000 }), /tolerance/);
  const strict = new ConnectPSP({ ...CREDENTIALS, webhookToleranceMs: 300_000 });
  assert.throws(() => strict.webhooks.constructEvent(stale.body, stale.headers), (e) => e instanceof WebhookSignatureError && /tolerance/.test(e.message));
  assert.ok(strict.webhooks.constructEvent(stale.body, stale.headers, { toleranceMs: 20 * 365 * 86_400_000 }).data);
  // The receiver's clock can be given (a replayed capture checked as of its arrival).
  assert.ok(strict.webhooks.constructEvent(stale.body, stale.headers, { nowMs: Date.parse("2020-01-01T00:01:00Z") }).data);
  const old = signed("old-token");
  assert.ok(strict.webhooks.constructEvent(old.body, old.headers, { cryptoToken: ["own-token", "old-token"] }).data);
  assert.throws(() => strict.webhooks.constructEvent(old.body, old.headers, { cryptoToken: "own-token" }), WebhookSignatureError);
});

test("an empty entry, an empty or long list, a zero tolerance are refused at construction", () => {
  const field = (options) => {
    try {
      new ConnectPSP({ ...CREDENTIALS, ...options });
    } catch (error) {
      assert.ok(error instanceof ValidationError, String(error));
      return error.field;
    }
    assert.fail("accepted");
  };
  assert.equal(field({ webhookCryptoTokens: ["new-token", ""] }), "webhookCryptoTokens[1]");
  assert.equal(field({ webhookCryptoTokens: [] }), "webhookCryptoTokens");
  assert.equal(field({ webhookCryptoTokens: Array.from({ length: 9 }, (_, i) => `t${i}`) }), "webhookCryptoTokens");
  assert.equal(field({ webhookToleranceMs: 0 }), "webhookToleranceMs");
  try {
    new ConnectPSP({ ...CREDENTIALS, webhookCryptoTokens: ["zz-secret\r\nzz"] });
    assert.fail("accepted");
  } catch (error) {
    assert.ok(!String(error.message).includes("zz-secret"));
  }
});
