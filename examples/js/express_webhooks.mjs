// Receiving ConnectPSP webhooks in Express, verified against the raw body.
//
//   npm install express connectpsp
//   CONNECTPSP_CRYPTO_TOKEN=... node examples/js/express_webhooks.mjs     # PORT=3000
//
// X-Connect-Signature is an HMAC of the exact bytes ConnectPSP sent. Give the route
// `express.raw({ type: "application/json" })` so `req.body` is that Buffer, and verify it before
// anything parses it.
import express from "express";
import { webhooks, WebhookSignatureError } from "connectpsp";

const cryptoToken = process.env.CONNECTPSP_CRYPTO_TOKEN;
const app = express();

// Deliveries are retried (each with a new X-Event-Id), so handle each state change once.
// In production this is a unique index in your database, not a Set in memory.
const handled = new Set();

app.post("/webhooks/connectpsp", express.raw({ type: "application/json" }), (req, res) => {
  let event;
  try {
    event = webhooks.constructEvent(req.body, req.get("x-connect-signature") ?? "", cryptoToken);
  } catch (error) {
    if (error instanceof WebhookSignatureError) return res.sendStatus(400); // not from ConnectPSP
    throw error;
  }
  // event.dedupeKey is "eventType:transactionId:status": the same for every retry of a delivery.
  if (!handled.has(event.dedupeKey)) {
    handled.add(event.dedupeKey);
    // Answer within 5 seconds: queue slow work instead of doing it here.
    console.log(`verified ${event.eventType} for ${event.data.transactionId} (${event.data.status})`);
  }
  res.sendStatus(200);
});

// THE CLASSIC MISTAKE, kept here so you can see it fail: a global `app.use(express.json())` (or
// this route's json parser) hands you an object, and verifying `JSON.stringify(req.body)` checks
// different bytes from the ones that were signed: whitespace goes, `"amount": 10.00` becomes
// `"amount":10`, escapes change. Genuine webhooks are then rejected (or, worse, someone turns
// verification off "because it never works"). This route always answers 400 to a real webhook.
app.post("/webhooks/the-classic-mistake", express.json(), (req, res) => {
  const reserialised = JSON.stringify(req.body);
  try {
    webhooks.constructEvent(reserialised, req.get("x-connect-signature") ?? "", cryptoToken);
    res.sendStatus(200);
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    console.log("the-classic-mistake: signature mismatch on the re-serialised body, as expected");
    res.sendStatus(400);
  }
});

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
// Stop cleanly on SIGTERM/SIGINT (process managers, Ctrl-C).
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
