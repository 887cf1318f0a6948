// client.resubmit(error): an outcome-unknown payout resolves to its one real transaction.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, test } from "node:test";
import { PAYEE, sdk, startSandbox } from "./helpers.mjs";

let sb;
before(async () => {
  sb = await startSandbox();
});
after(() => sb.stop());

const outsFor = async (reference) =>
  (await sb.transactions()).filter((t) => t.kind === "cash_out" && t.externalReference === reference);

test("commit-then-drop is outcome unknown; resubmit replays the one transaction", async () => {
  await sb.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 2 });
  const client = sb.client({ maxRetries: 1 });
  const error = await client.cashOut
    .create({ amount: "12.34", externalReference: "js-drop-1", payee: PAYEE })
    .then(() => assert.fail("a dropped answer must throw"), (e) => e);
  assert.ok(error instanceof sdk.ConnectionError);
  assert.equal(error.outcomeUnknown, true);
  assert.equal(error.attempts, 2);
  const [created] = await outsFor("js-drop-1");
  assert.ok(created);
  const result = await client.resubmit(error);
  assert.equal(result.transactionId, created.transactionId);
  assert.equal(result.amount, "12.34");
  assert.equal(result.response.idempotencyKey, error.idempotencyKey);
  assert.equal((await outsFor("js-drop-1")).length, 1);
  const posts = (await sb.requests()).filter((r) => r.path === "/cash-out" && r.idempotencyKey === error.idempotencyKey);
  assert.equal(posts.length, 3, "two dropped attempts and the re-submission, one key");
});

test("a refused call re-submitted happens once", async () => {
  await sb.fault({ method: "POST", path: "/cash-out", kind: "status", status: 503, count: 1 });
  const client = sb.client({ maxRetries: 0 });
  const error = await client.cashOut
    .create({ amount: "5.00", externalReference: "js-refused-1", payee: PAYEE })
    .then(() => assert.fail("503 must throw"), (e) => e);
  assert.ok(error instanceof sdk.ServerError);
  assert.equal(error.outcomeUnknown, false);
  assert.deepEqual(await outsFor("js-refused-1"), []);
  const result = await client.resubmit(error);
  assert.deepEqual((await outsFor("js-refused-1")).map((t) => t.transactionId), [result.transactionId]);
});

test("a re-submission refused before commit stays outcome unknown while the payout exists", async () => {
  // The first call is committed and its answer dropped: the payout exists, the outcome is unknown.
  await sb.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 1 });
  const client = sb.client({ maxRetries: 0 });
  const first = await client.cashOut
    .create({ amount: "9.99", externalReference: "js-resubmit-refused-1", payee: PAYEE })
    .then(() => assert.fail("a dropped answer must throw"), (e) => e);
  assert.equal(first.outcomeUnknown, true);
  const [created] = await outsFor("js-resubmit-refused-1");
  assert.ok(created);
  // The re-submission is refused before commit (the API's own 503): true of that request,
  // silent about the payout, so "definitively failed" would be false.
  await sb.fault({ method: "POST", path: "/cash-out", kind: "status", status: 503, count: 1 });
  const second = await client.resubmit(first).then(() => assert.fail("503 must throw"), (e) => e);
  assert.ok(second instanceof sdk.ServerError);
  assert.equal(second.status, 503);
  assert.equal(second.outcomeUnknown, true);
  assert.equal(second.idempotencyKey, first.idempotencyKey);
  // It still resolves: the next re-submission finds the one payout, reported as a plain success.
  const result = await client.resubmit(second);
  assert.equal(result.transactionId, created.transactionId);
  assert.equal(result.response.replayed, true);
  assert.equal((await outsFor("js-resubmit-refused-1")).length, 1);
});

test("resubmit refuses what it cannot replay", async () => {
  const client = sb.client();
  const other = sb.client();
  await sb.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 3 });
  const error = await client.cashOut
    .create({ amount: "1.00", externalReference: "js-owner-1", payee: PAYEE })
    .then(() => assert.fail("must throw"), (e) => e);
  await assert.rejects(other.resubmit(error), (e) => e instanceof sdk.ValidationError && e.field === "error");
  await assert.rejects(client.resubmit(new Error("x")), sdk.ValidationError);
  const notFound = await client.cashOut.get("unknown-id").then(() => assert.fail("must throw"), (e) => e);
  assert.ok(notFound instanceof sdk.NotFoundError);
  await assert.rejects(client.resubmit(notFound), sdk.ValidationError);
});

test("the remembered call does not travel with the error", async () => {
  await sb.fault({ method: "POST", path: "/cash-out", kind: "commit_then_drop", count: 1 });
  const client = sb.client({ maxRetries: 0 });
  const error = await client.cashOut
    .create({ amount: "3.00", externalReference: "js-hidden-1", payee: PAYEE })
    .then(() => assert.fail("must throw"), (e) => e);
  for (const text of [JSON.stringify(error), inspect(error, { showHidden: true, depth: 10 }), String(error), error.stack]) {
    assert.ok(!text.includes("12345678909"), text);
  }
});

test("a dropped refund resolves to the one refund", async () => {
  const client = sb.client();
  const charge = await client.cashIn.create({ amount: "40.00", externalReference: "js-refund-drop-1", payer: { name: "Ana", document: "12345678909" } });
  await sb.control("POST", `/_sandbox/cash-in/${charge.transactionId}/pay`);
  await sb.fault({ method: "POST", path: "/cash-in/*/refund", kind: "commit_then_drop", count: 3 });
  const error = await client.cashIn
    .refund(charge.transactionId, { reason: "CUSTOMER_REQUEST" })
    .then(() => assert.fail("a dropped answer must throw"), (e) => e);
  assert.equal(error.outcomeUnknown, true);
  // A second refund would be refused (CASH_IN_ALREADY_REFUNDED): success means a replay.
  const refunded = await client.resubmit(error);
  assert.deepEqual([refunded.transactionId, refunded.status], [charge.transactionId, "REFUNDED"]);
});
