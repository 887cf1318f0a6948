// Webhook hardening in the npm package (the same cases as tests/test_webhook_hardening.py).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { test } from "node:test";
import { sdk, startSandbox, waitFor } from "./helpers.mjs";

const { webhooks, WebhookSignatureError } = sdk;
const KEY = "whsec-reliability-test-key";
const BODY = Buffer.from(
  '{"eventType":"CASHOUT_COMPLETED","eventAt":"2026-03-10T14:00:00Z","data":{"transactionId":' +
    '"7b1e6f0a-3c2d-4e5f-8a9b-0c1d2e3f4a5b","externalReference":"wd-42","status":"COMPLETED",' +
    '"amount":50.00,"endToEndId":"E1393589320260310140012345678901"}}',
);
const sign = (body, key = KEY) => createHmac("sha256", key).update(body).digest("hex");
const construct = (body, signature, key = KEY) => webhooks.constructEvent(body, signature, key);

test("a genuine event in either hex case, with its dedupe key", () => {
  for (const signature of [sign(BODY), sign(BODY).toUpperCase()]) {
    const event = construct(BODY, signature);
    assert.equal(event.eventType, "CASHOUT_COMPLETED");
    assert.equal(event.data.amount, "50.00");
    assert.equal(event.dedupeKey, "CASHOUT_COMPLETED:7b1e6f0a-3c2d-4e5f-8a9b-0c1d2e3f4a5b:COMPLETED");
  }
});

test("missing, empty, malformed and forged signatures are refused", () => {
  const good = sign(BODY);
  const bad = {
    empty: "", blank: "   ", notHex: "not-hex", short: good.slice(0, -1), long: `${good}0`,
    nonHexChar: `g${good.slice(1)}`, prefixed: `sha256=${good}`, half: good.slice(0, 32), zeros: "00".repeat(32),
    wrongKey: sign(BODY, "wrong-key"), keyPlusSpace: sign(BODY, `${KEY} `), otherBody: sign(Buffer.concat([BODY, Buffer.from("\n")])),
  };
  for (const [name, signature] of Object.entries(bad)) {
    assert.throws(() => construct(BODY, signature), WebhookSignatureError, name);
  }
  assert.throws(() => construct(BODY, undefined), WebhookSignatureError, "undefined");
});

test("the client helper refuses a missing header", async () => {
  const sb = await startSandbox();
  try {
    const client = sb.client();
    const good = sign(BODY, sb.credentials.cryptoToken);
    assert.equal(client.webhooks.constructEvent(BODY, { "x-connect-signature": good }).eventType, "CASHOUT_COMPLETED");
    assert.equal(client.webhooks.constructEvent(BODY, new Headers({ "X-Connect-Signature": good })).eventType, "CASHOUT_COMPLETED");
    for (const headers of [{}, { "X-Connect-Signature": "" }, { "x-other": good }]) {
      assert.throws(() => client.webhooks.constructEvent(BODY, headers), WebhookSignatureError);
    }
  } finally {
    await sb.stop();
  }
});

test("every single-byte change is caught", () => {
  const signature = sign(BODY);
  for (let i = 0; i < BODY.length; i++) {
    const changed = Buffer.from(BODY);
    changed[i] ^= 0x01;
    assert.throws(() => construct(changed, signature), WebhookSignatureError, `byte ${i}`);
  }
  const text = BODY.toString();
  for (const altered of [text + " ", text.slice(0, -1), " " + text, text.replace("50.00", "50.0"), JSON.stringify(JSON.parse(text))]) {
    assert.throws(() => construct(altered, signature), WebhookSignatureError);
  }
});

test("bodies over 1 MB are refused even when correctly signed", () => {
  const limit = 1024 * 1024;
  const head = BODY.subarray(0, BODY.length - 1);
  const padded = Buffer.concat([head, Buffer.from(',"pad":"'), Buffer.alloc(limit - BODY.length - 9, "x"), Buffer.from('"}')]);
  assert.equal(padded.length, limit);
  assert.equal(construct(padded, sign(padded)).eventType, "CASHOUT_COMPLETED");
  const over = Buffer.concat([padded.subarray(0, limit - 2), Buffer.from('x"}')]);
  assert.equal(over.length, limit + 1);
  assert.throws(() => construct(over, sign(over)), (e) => e instanceof WebhookSignatureError && /larger/.test(e.message));
});

test("redeliveries share one dedupe key (X-Event-Id changes every attempt)", async () => {
  const sb = await startSandbox();
  const deliveries = [];
  const seen = new Set();
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      deliveries.push({ eventId: req.headers["x-event-id"], body, headers: req.headers });
      const type = JSON.parse(body).eventType;
      res.statusCode = seen.has(type) ? 200 : 500;
      seen.add(type);
      res.end();
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  try {
    const client = sb.client();
    const charge = await client.cashIn.create({
      amount: "10.00", externalReference: "js-dedupe-1", payer: { name: "Ana", document: "12345678909" },
      webhookUrl: `http://127.0.0.1:${receiver.address().port}/hook`,
    });
    await sb.control("POST", `/_sandbox/cash-in/${charge.transactionId}/pay`);
    await client.cashIn.refund(charge.transactionId, { reason: "CUSTOMER_REQUEST" });
    await waitFor(() => deliveries.length >= 4, 20_000, "two events, each delivered twice");
    // The dedupe helper as the express example uses it: process each key once.
    const processed = new Map();
    for (const d of deliveries) {
      const event = client.webhooks.constructEvent(d.body, d.headers);
      processed.set(event.dedupeKey, (processed.get(event.dedupeKey) ?? 0) + 1);
    }
    assert.equal(new Set(deliveries.map((d) => d.eventId)).size, deliveries.length);
    assert.deepEqual(Object.fromEntries(processed), {
      [`CASHIN_PAID:${charge.transactionId}:PAID`]: 2,
      [`CASHIN_REFUNDED:${charge.transactionId}:REFUNDED`]: 2,
    });
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await sb.stop();
  }
});
