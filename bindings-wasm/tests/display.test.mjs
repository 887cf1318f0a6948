// Result objects print with personal data masked by the core's rule (core/src/personal.rs, emitted
// into ts/generated/display.ts by tools/schema-gen): util.inspect / console.log and toString. The
// properties, Object.keys and JSON.stringify keep the real values.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { after, before, describe, test } from "node:test";

import { cjs, esm, startSandbox } from "./helpers.mjs";

const KEY = "display-test-crypto-token";
const sign = (body) => createHmac("sha256", KEY).update(body).digest("hex");

const PERSONAL = ["Maria", "Silva", "12345678909", "maria.silva@example.com", "947710840"];

function assertMasked(text) {
  for (const value of PERSONAL) assert.ok(!text.includes(value), `${value} shown in ${text}`);
}

describe("masked display", () => {
  let sandbox;
  let client;

  before(async () => {
    sandbox = await startSandbox();
    client = new esm.ConnectPSP(sandbox.options());
  });

  after(() => sandbox?.stop());

  for (const [name, sdk] of [["esm", esm], ["cjs", cjs]]) {
    test(`a webhook event and its data (${name})`, () => {
      const body = JSON.stringify({
        eventType: "CASHIN_PAID",
        eventAt: "2026-03-10T14:22:18Z",
        data: {
          transactionId: "t-1",
          status: "PAID",
          amount: 10,
          payer: { name: "Maria Silva", document: "12345678909", bankData: { ispb: "00000000", account: "947710840" } },
        },
      });
      const event = sdk.webhooks.constructEvent(body, sign(body), KEY);
      for (const text of [inspect(event), inspect(event.data), String(event.data), `${event.data.payer}`, inspect(event.data.payer.bankData)]) {
        assertMasked(text);
      }
      assert.match(inspect(event.data.payer), /M\*\*\* S\*\*\*/);
      assert.match(inspect(event.data.payer), /123\.\*\*\*\.\*\*\*-09/);
      assert.match(String(event.data.payer.bankData), /\*\*\*840/);
      assert.match(inspect(event), /^WebhookEvent /);
      // The data is untouched: same keys, same values, same JSON.
      assert.equal(event.data.payer.document, "12345678909");
      assert.deepEqual(Object.keys(event.data.payer).sort(), ["bankData", "document", "name"]);
      assert.ok(JSON.stringify(event).includes("12345678909"));
      assert.deepEqual(JSON.parse(JSON.stringify(event.data.payer)), {
        name: "Maria Silva",
        document: "12345678909",
        bankData: { ispb: "00000000", account: "947710840" },
      });
    });
  }

  test("results of real calls: PIX key by its type, bank account numbers", async () => {
    const byKey = await client.cashOut.create({
      amount: "1.00",
      externalReference: `display-${Date.now()}-1`,
      payee: {
        name: "Maria Silva",
        document: "12345678909",
        destination: { type: "PIX", pixKeyType: "EMAIL", pixKey: "maria.silva@example.com" },
      },
    });
    assertMasked(inspect(byKey, { depth: 10 }));
    assertMasked(String(byKey));
    assert.match(inspect(byKey, { depth: 10 }), /m\*\*\*@example\.com/);
    assert.equal(byKey.payee.destination.pixKey, "maria.silva@example.com");

    const byAccount = await client.cashOut.create({
      amount: "1.00",
      externalReference: `display-${Date.now()}-2`,
      payee: {
        name: "Maria Silva",
        document: "12345678909",
        destination: {
          type: "BANK_ACCOUNT",
          bankAccount: { ispb: "18236120", branch: "0001", account: "947710840", accountType: "PAYMENT" },
        },
      },
    });
    assertMasked(inspect(byAccount, { depth: 10 }));
    assert.match(String(byAccount), /\*\*\*840/);
    assert.ok(!Object.keys(byAccount).includes("toString"));
    assert.ok(JSON.stringify(byAccount).includes("947710840"));
  });
});
