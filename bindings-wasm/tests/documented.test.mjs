// Every documented example (testdata/api/index.json: the API reference's and docs/openapi.yaml's)
// through the package as a user calls it. The package's `fetch` option answers each call with the
// documented body at its documented status; requests are checked against the documented request
// bodies; webhooks are signed with a test key and verified. Nothing documented may throw.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import { esm, TESTDATA, vector } from "./helpers.mjs";

const { ConnectPSP, ConnectPSPError, webhooks } = esm;
const INDEX = vector("api/index.json").examples;
const KEY = "test-crypto-token-0001";

const text = (file) => readFileSync(join(TESTDATA, "api", file), "utf8");
/** A documented amount as the package returns it (the examples are well inside a double's exact range). */
const money = (value) => Number(value).toFixed(2);

/** A client whose fetch answers the token call with the documented token, and the rest with `answer`. */
function scripted(answer) {
  const seen = [];
  const fetch = async (url, init = {}) => {
    const path = new URL(String(url)).pathname;
    const body = init.body === undefined ? "" : new TextDecoder().decode(init.body);
    seen.push({ path, method: init.method ?? "GET", body });
    const [status, contentType, payload] =
      path === "/auth/token" ? [200, "application/json", text("auth_token.200.json")] : answer;
    return new Response(payload, {
      status,
      headers: { "content-type": contentType, "x-request-id": "req-documented" },
    });
  };
  const client = new ConnectPSP({
    clientId: "YOUR_CLIENT_ID",
    clientSecret: "YOUR_CLIENT_SECRET",
    applicationToken: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    cryptoToken: KEY,
    baseUrl: "http://127.0.0.1:9",
    maxRetries: 0,
    fetch,
  });
  return { client, seen };
}

const DEFAULT_REQUESTS = {
  "cashIn.create": "cash_in_create.request.json",
  "cashIn.refund": "cash_in_refund.request.json",
  "cashOut.create": "cash_out_create.request.pix.json",
  "account.rebalance": "account_rebalance.request.json",
};

/** The documented request body as call params: amounts as the exact text of the docs. */
function params(file) {
  const raw = text(file);
  const body = JSON.parse(raw);
  const literal = /"(amount|targetAmount)"\s*:\s*([0-9.eE+-]+)/.exec(raw);
  if (literal) body[literal[1]] = literal[2];
  return body;
}

function invoke(client, call, request = DEFAULT_REQUESTS[call]) {
  switch (call) {
    case "cashIn.create":
      return client.cashIn.create(params(request));
    case "cashIn.get":
      return client.cashIn.get("US7B1JQ");
    case "cashIn.refund":
      return client.cashIn.refund("US7B1JQ", params(request));
    case "cashOut.create":
      return client.cashOut.create(params(request));
    case "cashOut.get":
      return client.cashOut.get("IVKPRMOCDY");
    case "account.balance":
      return client.account.balance();
    case "account.rebalance":
      return client.account.rebalance(params(request));
    default:
      throw new Error(`no call ${call}`);
  }
}

describe("documented answers parse", () => {
  for (const example of INDEX.filter((e) => e.kind === "response")) {
    test(example.file, async () => {
      const raw = text(example.file);
      const documented = JSON.parse(raw);
      if (example.type === "TokenResponse") {
        const { client, seen } = scripted([200, "application/json", text("account_balance.200.json")]);
        await client.account.balance();
        assert.deepEqual(
          seen.map((s) => s.path),
          ["/auth/token", "/account/balance"],
        );
        return;
      }
      if (example.type === "Problem") {
        const { client } = scripted([example.status, "application/problem+json", raw]);
        await assert.rejects(invoke(client, example.call), (error) => {
          assert.ok(error instanceof ConnectPSPError);
          assert.equal(error.code, documented.code);
          assert.equal(error.outcomeUnknown, false);
          return true;
        });
        return;
      }
      const { client } = scripted([example.status, "application/json", raw]);
      const result = await invoke(client, example.call);
      assert.equal(result.response.status, example.status);
      switch (example.type) {
        case "CashIn":
        case "CashOut":
          assert.equal(result.transactionId, documented.transactionId);
          assert.equal(result.amount, money(documented.amount));
          break;
        case "Refund":
          assert.equal(result.transactionId, documented.transactionId);
          assert.equal(result.endToEndId, documented.endToEndId);
          assert.match(result.endToEndId, /^D/);
          assert.equal(result.internalCode, documented.internalCode);
          assert.equal(result.originalEndToEndId ?? undefined, documented.originalEndToEndId);
          break;
        case "Balance": {
          const totals = documented.consolidated;
          assert.equal(result.consolidated.totalBalance, money(totals.totalBalance));
          assert.equal(result.consolidated.transactionalBalance, money(totals.transactionalBalance));
          assert.equal(result.consolidated.proprietaryBalance, money(totals.proprietaryBalance));
          documented.banks.forEach((bank, i) => {
            assert.equal(
              result.banks[i].accounts.transactional.balance,
              money(bank.accounts.transactional.balance),
            );
          });
          break;
        }
        case "RebalanceResult":
          assert.equal(result.success, documented.success);
          break;
        default:
          assert.fail(`no check for ${example.type}`);
      }
    });
  }
});

const REQUEST_CALLS = {
  "cash_in_create.request.json": "cashIn.create",
  "cash_in_create.request.tutorial.json": "cashIn.create",
  "cash_in_refund.request.json": "cashIn.refund",
  "cash_out_create.request.pix.json": "cashOut.create",
  "cash_out_create.request.bank_account.json": "cashOut.create",
  "account_rebalance.request.json": "account.rebalance",
};
const ANSWERS = {
  "cashIn.create": [201, "cash_in_create.201.json"],
  "cashIn.refund": [202, "cash_in_refund.202.json"],
  "cashOut.create": [202, "cash_out_create.202.json"],
  "account.rebalance": [200, "account_rebalance.200.json"],
};

describe("documented requests go out as documented", () => {
  for (const [file, call] of Object.entries(REQUEST_CALLS)) {
    test(file, async () => {
      const [status, answer] = ANSWERS[call];
      const { client, seen } = scripted([status, "application/json", text(answer)]);
      await invoke(client, call, file);
      assert.deepEqual(JSON.parse(seen[0].body), JSON.parse(text("auth_token.request.json")));
      const sent = seen.at(-1);
      assert.equal(sent.method, "POST");
      assert.deepEqual(JSON.parse(sent.body), JSON.parse(text(file)));
      // Amounts leave with exactly two decimals, as the docs write them.
      for (const [, value] of sent.body.matchAll(/"(?:amount|targetAmount)":\s*([0-9.eE+-]+)/g)) {
        assert.match(value, /^[0-9]+\.[0-9]{2}$/, sent.body);
      }
    });
  }
});

describe("documented webhooks verify and parse", () => {
  for (const example of INDEX.filter((e) => e.kind === "webhook")) {
    test(example.file, () => {
      const body = readFileSync(join(TESTDATA, "api", example.file));
      const documented = JSON.parse(body.toString("utf8"));
      const signature = createHmac("sha256", KEY).update(body).digest("hex");
      const event = webhooks.constructEvent(new Uint8Array(body), signature, KEY);
      assert.equal(event.eventType, documented.eventType);
      assert.equal(event.data.transactionId, documented.data.transactionId);
      assert.equal(event.data.status, documented.data.status);
      assert.equal(event.data.amount, money(documented.data.amount));
      const tampered = new TextEncoder().encode(body.toString("utf8").replace("10.00", "11.00"));
      assert.throws(() => webhooks.constructEvent(tampered, signature, KEY));
    });
  }
});

test("every example of the index is walked", () => {
  const walked = new Set([
    ...INDEX.filter((e) => e.kind !== "request").map((e) => e.file),
    ...Object.keys(REQUEST_CALLS),
    "auth_token.request.json",
  ]);
  assert.deepEqual(new Set(INDEX.map((e) => e.file)), walked);
});
