// The outcome-unknown paths the plain chaos run never exercised, staged with the sandbox's
// faults (the same scenarios as reliability/tests/test_outcome_paths.py): a payout either
// succeeds with exactly one transaction, or fails with outcomeUnknown true and the key.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { inspect } from "node:util";
import { sdk, startSandbox } from "./helpers.mjs";

let sb;
before(async () => {
  sb = await startSandbox();
});
after(() => sb.stop());
beforeEach(async () => {
  await sb.control("DELETE", "/_sandbox/faults");
  await sb.control("POST", "/_sandbox/settings", { tokenTtlSeconds: 3600 });
});

/** A valid CPF from `seed` (check digits computed), unlike any fixture value. */
function cpf(seed) {
  const digits = String(100000000 + ((seed * 7919 * 104729) % 899999999)).split("").map(Number);
  for (const length of [9, 10]) {
    const total = digits.slice(0, length).reduce((sum, d, i) => sum + d * (length + 1 - i), 0);
    digits.push(((total * 10) % 11) % 10);
  }
  return digits.join("");
}

const payee = (tag, document) => ({
  name: `Zulmira Quintanilha ${tag}`,
  document,
  destination: { type: "PIX", pixKeyType: "EMAIL", pixKey: `zq.${tag}@example.com` },
});

const withKey = async (key) => (await sb.transactions()).filter((t) => t.idempotencyKey === key);
const outsFor = async (reference) => (await sb.transactions()).filter((t) => t.externalReference === reference);
const failure = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));

test("committed then dropped, and the refresh the retry needs answers 503", async () => {
  const client = sb.client({ maxRetries: 2 });
  await client.account.balance(); // the token now, so the faults hit only what is named
  await sb.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", expireToken: true, count: 1 });
  await sb.fault({ method: "POST", path: "/auth/token", kind: "status", status: 503, count: 20 });
  const { error } = await failure(
    client.cashOut.create({ amount: "21.00", externalReference: "js-op-refresh-503", payee: payee("a", cpf(1)) }),
  );
  assert.ok(error instanceof sdk.ConnectPSPError, String(error));
  assert.equal(error.outcomeUnknown, true, inspect(error));
  assert.ok(error.idempotencyKey);
  const [made] = await withKey(error.idempotencyKey);
  assert.equal(made?.externalReference, "js-op-refresh-503");
  await sb.control("DELETE", "/_sandbox/faults");
  const result = await client.resubmit(error);
  assert.equal(result.transactionId, made.transactionId);
  assert.equal((await outsFor("js-op-refresh-503")).length, 1);
});

for (const status of [507, 520, 522, 524]) {
  test(`a ${status} after commit is retried with the same key, or unknown`, async () => {
    const reference = `js-op-after-${status}`;
    const client = sb.client({ maxRetries: 2 });
    await client.account.balance();
    const since = (await sb.requests()).at(-1)?.seq ?? 0;
    await sb.fault({ method: "POST", path: "/cash-out", kind: "status", status, commit: true, count: 1 });
    const { value, error } = await failure(
      client.cashOut.create({ amount: "22.00", externalReference: reference, payee: payee("b", cpf(2)) }),
    );
    const made = await outsFor(reference);
    assert.equal(made.length, 1);
    if (error) {
      assert.equal(error.outcomeUnknown, true, `${status} after commit reported as definitive: ${inspect(error)}`);
      assert.equal(made[0].idempotencyKey, error.idempotencyKey);
    } else {
      assert.equal(value.transactionId, made[0].transactionId);
    }
    const posts = (await sb.requests(since)).filter((r) => r.path === "/cash-out");
    assert.equal(new Set(posts.map((r) => r.idempotencyKey)).size, 1, "every attempt carried one key");
  });
}

test("a failing token endpoint does not fail a call whose token is still valid", async () => {
  // Tokens of 8 s: the SDK refreshes in the last 2 s, while the token still works.
  await sb.control("POST", "/_sandbox/settings", { tokenTtlSeconds: 8 });
  const client = sb.client({ maxRetries: 1 });
  await client.account.balance();
  await new Promise((r) => setTimeout(r, 6300));
  await sb.fault({ method: "POST", path: "/auth/token", kind: "status", status: 503, percent: 100 });
  const result = await client.cashOut.create({ amount: "23.00", externalReference: "js-op-valid-token", payee: payee("c", cpf(3)) });
  await client.account.balance();
  const stats = await sb.control("GET", "/_sandbox/faults");
  const [made] = await outsFor("js-op-valid-token");
  assert.equal(result.transactionId, made.transactionId);
  assert.ok(stats.rules.reduce((n, r) => n + r.injected, 0) >= 1, "the refresh was tried (and failed)");
});

test("an unreadable 2xx puts no body excerpt in the error", async () => {
  const document = cpf(4);
  const who = payee("d", document);
  const needles = [who.name, "Zulmira", document, who.destination.pixKey];
  const client = sb.client({ maxRetries: 0 });
  await client.account.balance();
  await sb.fault({ method: "POST", path: "/cash-out", kind: "truncate_body", count: 1 });
  const { error } = await failure(client.cashOut.create({ amount: "24.00", externalReference: "js-op-unreadable", payee: who }));
  assert.ok(error instanceof sdk.ConnectPSPError, String(error));
  assert.equal(error.outcomeUnknown, true, inspect(error));
  const [made] = await outsFor("js-op-unreadable");
  assert.ok(made, "the payout was made");
  await sb.fault({ method: "GET", path: "/cash-out/*", kind: "truncate_body", count: 1 });
  const { error: readError } = await failure(client.cashOut.get(made.transactionId));
  assert.ok(readError instanceof sdk.ConnectPSPError, String(readError));
  for (const e of [error, readError]) {
    const text = [String(e), e.message, e.stack, JSON.stringify(e), inspect(e, { depth: 5 })].join(" ");
    for (const needle of needles) assert.ok(!text.includes(needle), `${needle} in ${text}`);
  }
});
