// Webhook verification: the documented vector, tampered bodies and signatures, header shapes,
// and real deliveries from the sandbox to a local receiver.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import { esm, startSandbox, vector } from "./helpers.mjs";

const { ConnectPSP, webhooks, WebhookSignatureError, ValidationError, ConnectPSPError, DecodeError } = esm;

// connectpsp-api.md §8.2: key test-crypto-token-0001 over this exact body.
const DOC_TOKEN = "test-crypto-token-0001";
const DOC_BODY =
  '{"eventType":"CASHIN_PAID","eventAt":"2026-03-10T11:22:18Z","data":{"internalCode":"US7B1JQ","status":"PAID","amount":10.00}}';
const DOC_SIGNATURE = "5b45e07a9c7a0ed452b6200a4aa3ea0510be214c75132f2aafb325fc7eedf6f6";

const sign = (body, key) => createHmac("sha256", key).update(body).digest("hex");

describe("webhooks.constructEvent", () => {
  test("every shared webhook vector (testdata/webhooks.json) gives its expected result", () => {
    const { cryptoToken, cases } = vector("webhooks.json");
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const run = () => webhooks.constructEvent(c.body, c.signature, cryptoToken);
      switch (c.expect) {
        case "ok":
        case "unknown": {
          const event = run();
          assert.equal(event.eventType, c.eventType, c.name);
          assert.equal(event.data.transactionId, c.transactionId, c.name);
          assert.equal(event.data.status, c.status, c.name);
          assert.equal(event.dedupeKey, c.dedupeKey, c.name);
          if (c.amount !== undefined) assert.equal(event.data.amount, c.amount, c.name);
          break;
        }
        case "webhook_signature":
          assert.throws(run, (e) => e instanceof WebhookSignatureError && e.kind === "webhook_signature", c.name);
          break;
        case "decode":
          // Authentic (the signature verified) but unreadable: not a signature error.
          assert.throws(run, (e) => e instanceof DecodeError, c.name);
          break;
        default:
          assert.fail(`unknown expectation ${c.expect} in ${c.name}`);
      }
    }
  });

  test("the body may be a string, a Buffer, a Uint8Array or an ArrayBuffer", () => {
    const { cryptoToken, cases } = vector("webhooks.json");
    const { body, signature } = cases.find((c) => c.expect === "ok");
    const bytes = new TextEncoder().encode(body);
    for (const form of [body, Buffer.from(body), bytes, bytes.buffer]) {
      assert.equal(webhooks.constructEvent(form, signature, cryptoToken).eventType, "CASHIN_PAID");
    }
  });

  test("the documented §8.2 vector verifies (it only fails to decode for lack of transactionId)", () => {
    for (const signature of [DOC_SIGNATURE, DOC_SIGNATURE.toUpperCase()]) {
      assert.throws(() => webhooks.constructEvent(DOC_BODY, signature, DOC_TOKEN), DecodeError);
    }
    assert.equal(sign(DOC_BODY, DOC_TOKEN), DOC_SIGNATURE);
  });

  test("any change to the body, signature or key is a WebhookSignatureError (HMACs from node:crypto)", () => {
    const tampered = [
      [DOC_BODY.replace("10.00", "1000.00"), DOC_SIGNATURE, DOC_TOKEN],
      [DOC_BODY.replace('"amount":10.00', '"amount": 10.00'), DOC_SIGNATURE, DOC_TOKEN],
      [`${DOC_BODY}\n`, DOC_SIGNATURE, DOC_TOKEN],
      [DOC_BODY, DOC_SIGNATURE.slice(0, 63) + (DOC_SIGNATURE[63] === "0" ? "1" : "0"), DOC_TOKEN],
      [DOC_BODY, DOC_SIGNATURE.slice(0, 62), DOC_TOKEN],
      [DOC_BODY, `${DOC_SIGNATURE}00`, DOC_TOKEN],
      [DOC_BODY, "z".repeat(64), DOC_TOKEN],
      [DOC_BODY, DOC_SIGNATURE, "test-crypto-token-0002"],
      [DOC_BODY, `sha256=${DOC_SIGNATURE}`, DOC_TOKEN],
      [DOC_BODY, "", DOC_TOKEN],
    ];
    for (const [body, signature, key] of tampered) {
      assert.throws(
        () => webhooks.constructEvent(body, signature, key),
        (e) => e instanceof WebhookSignatureError && e instanceof ConnectPSPError,
        `${signature.slice(0, 12)}… ${body.length}`,
      );
    }
  });

  test("missing pieces are typed errors: no signature, no cryptoToken", () => {
    const { cryptoToken, cases } = vector("webhooks.json");
    const { body, signature } = cases.find((c) => c.expect === "ok");
    for (const missing of [undefined, null, ""]) {
      assert.throws(() => webhooks.constructEvent(body, missing, cryptoToken), WebhookSignatureError);
      assert.throws(
        () => webhooks.constructEvent(body, signature, missing ?? undefined),
        (e) => e instanceof ValidationError && e.field === "cryptoToken",
      );
    }
  });

  test("a parsed object is refused with a message saying what to pass", () => {
    assert.throws(
      () => webhooks.constructEvent(JSON.parse(DOC_BODY), DOC_SIGNATURE, DOC_TOKEN),
      (e) => e instanceof ValidationError && e.field === "rawBody",
    );
  });

  test("a correctly signed body that is not an event is not a signature error", () => {
    const body = "not json at all";
    assert.throws(
      () => webhooks.constructEvent(body, sign(body, DOC_TOKEN), DOC_TOKEN),
      (e) => e instanceof ConnectPSPError && !(e instanceof WebhookSignatureError),
    );
  });
});

describe("client.webhooks with real sandbox deliveries", () => {
  let sandbox;
  let receiver;
  const deliveries = [];
  let delivered;

  before(async () => {
    sandbox = await startSandbox(["--manual-settle"]);
    receiver = createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.end();
        delivered?.();
      });
    });
    await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  });

  after(() => {
    receiver?.close();
    sandbox?.stop();
  });

  const nextDelivery = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no webhook within 10 s")), 10_000);
      delivered = () => {
        clearTimeout(timer);
        delivered = undefined;
        resolve(deliveries.at(-1));
      };
    });

  test("CASHIN_PAID and CASHOUT_COMPLETED verify with Node's req.headers and a fetch Headers", async () => {
    const client = new ConnectPSP(sandbox.options());
    const webhookUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;
    const cashIn = await client.cashIn.create({
      amount: "33.30",
      externalReference: `wh-${Date.now()}`,
      payer: { name: "João Silva", document: "12345678909" },
      webhookUrl,
    });
    const paidDelivery = nextDelivery();
    await sandbox.control("POST", `/_sandbox/cash-in/${cashIn.transactionId}/pay`);
    const paid = await paidDelivery;
    const event = client.webhooks.constructEvent(paid.body, paid.headers);
    assert.equal(event.eventType, "CASHIN_PAID");
    assert.equal(event.data.transactionId, cashIn.transactionId);
    assert.equal(event.data.amount, "33.30");
    assert.equal(event.dedupeKey, `CASHIN_PAID:${cashIn.transactionId}:PAID`);
    // the same delivery through a fetch Headers object and the free function
    const headers = new Headers(Object.entries(paid.headers).map(([k, v]) => [k, String(v)]));
    assert.equal(client.webhooks.constructEvent(paid.body.toString("utf8"), headers).eventType, "CASHIN_PAID");
    assert.equal(
      webhooks.constructEvent(paid.body, headers.get("x-connect-signature"), sandbox.credentials.cryptoToken).data.amount,
      "33.30",
    );
    // tampered copy of a real delivery
    const forged = Buffer.from(paid.body.toString("utf8").replace('"33.30"', '"99.99"').replace("33.30", "99.99"));
    assert.throws(() => client.webhooks.constructEvent(forged, paid.headers), WebhookSignatureError);
    // missing header
    assert.throws(() => client.webhooks.constructEvent(paid.body, {}), WebhookSignatureError);
    // another client's cryptoToken does not verify it
    const other = new ConnectPSP(sandbox.options({ cryptoToken: "someone-else" }));
    assert.throws(() => other.webhooks.constructEvent(paid.body, paid.headers), WebhookSignatureError);

    const out = await client.cashOut.create({
      amount: "8.00",
      externalReference: `whout-${Date.now()}`,
      webhookUrl,
      payee: { name: "Maria", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } },
    });
    const completedDelivery = nextDelivery();
    await sandbox.control("POST", `/_sandbox/cash-out/${out.transactionId}/complete`);
    const completed = client.webhooks.constructEvent((await completedDelivery).body, (await completedDelivery).headers);
    assert.equal(completed.eventType, "CASHOUT_COMPLETED");
    assert.equal(completed.data.amount, "8.00");
    assert.equal(completed.data.status, "COMPLETED");
  });
});

test("key rotation and the eventAt tolerance (testdata/webhook_options.json)", () => {
  const { cases } = vector("webhook_options.json");
  assert.ok(cases.length > 5);
  for (const c of cases) {
    const options = { toleranceMs: c.toleranceMs, nowMs: c.nowMs };
    const run = () => esm.webhooks.constructEvent(c.body, c.signature, c.cryptoTokens, options);
    if (c.expect === "ok") {
      assert.equal(run().eventType, JSON.parse(c.body).eventType, c.name);
    } else if (c.expect === "webhook_signature") {
      assert.throws(run, esm.WebhookSignatureError, c.name);
    } else {
      assert.throws(run, (e) => e instanceof esm.ValidationError && e.field === c.field, c.name);
    }
  }
});
