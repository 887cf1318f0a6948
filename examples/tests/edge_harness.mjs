// Drives examples/js/edge_worker.mjs the way an edge runtime does: builds Request objects, calls
// the module's fetch handler with an `env` of bindings, and checks the Responses.
import { createHmac, randomUUID } from "node:crypto"; // only the harness uses Node APIs; the worker is web-only
import worker from "../js/edge_worker.mjs";

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("CONNECTPSP_")));
const base = "https://worker.example";
const body = '{"eventType": "CASHOUT_COMPLETED", "eventAt": "2026-03-10T14:22:18Z", "data": {"transactionId": "dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9", "status": "COMPLETED", "amount": 50.00}}';
const signature = createHmac("sha256", env.CONNECTPSP_CRYPTO_TOKEN).update(body).digest("hex");

function expect(condition, message) {
  if (!condition) {
    console.error(`edge worker: FAILED: ${message}`);
    process.exit(1);
  }
}

const webhook = (payload, sig) =>
  worker.fetch(new Request(`${base}/webhooks/connectpsp`, { method: "POST", body: payload, headers: { "x-connect-signature": sig } }), env);

let res = await webhook(body, signature);
const received = await res.text();
expect(res.status === 200, `genuine webhook answered ${res.status}: ${received}`);
expect(JSON.parse(received).received === "CASHOUT_COMPLETED", `event type not echoed: ${received}`);
res = await webhook(body.replace("50.00", "59.00"), signature);
expect(res.status === 400, `tampered webhook answered ${res.status}`);

const payout = (input) =>
  worker.fetch(new Request(`${base}/payouts`, { method: "POST", body: JSON.stringify(input), headers: { "content-type": "application/json" } }), env);
const input = { amount: "25.00", reference: `edge-${randomUUID()}`, name: "Maria Silva", document: "12345678909", pixKeyType: "EMAIL", pixKey: "maria@example.com" };
res = await payout(input);
const first = await res.json();
expect(res.status === 202 && first.status === "PROCESSING" && first.amount === "25.00", `payout: ${res.status} ${JSON.stringify(first)}`);
// The same request again (a platform retry): same payout, not a second one.
res = await payout(input);
const again = await res.json();
expect(again.transactionId === first.transactionId, `retry created another payout: ${JSON.stringify(again)}`);
// Bad input is refused before anything is sent.
res = await payout({ ...input, amount: "1.234", reference: `edge-${randomUUID()}` });
expect(res.status === 422 && (await res.json()).error === "ValidationError", `bad amount answered ${res.status}`);
res = await worker.fetch(new Request(`${base}/nowhere`), env);
expect(res.status === 404, "unknown route");
console.log("edge worker: OK");
