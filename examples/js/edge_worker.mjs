// An edge function (Cloudflare Workers, Vercel Edge, Deno Deploy…): a fetch-handler module that
// uses only web APIs - Request, Response, fetch - and no Node built-in.
//
//   POST /webhooks/connectpsp   verify a ConnectPSP webhook on its raw bytes, answer 200 or 400
//   POST /payouts               {"amount": "25.00", "pixKeyType": "EMAIL", "pixKey": "…",
//                                "name": "…", "document": "…", "reference": "…"} → the cash-out
//
// Secrets come from the runtime's environment bindings (`env`), never from the code.
import {
  ConnectPSP,
  ConnectPSPError,
  ValidationError,
  WebhookSignatureError,
  idempotencyKeyFor,
  webhooks,
} from "connectpsp";

/** @typedef {Record<string, string | undefined>} Env the runtime's environment bindings */

// One client per isolate: its token cache and connection reuse outlive a single request.
/** @type {ConnectPSP | undefined} */
let client;
/** @param {Env} env */
function clientFor(env) {
  client ??= new ConnectPSP({
    clientId: env.CONNECTPSP_CLIENT_ID,
    clientSecret: env.CONNECTPSP_CLIENT_SECRET,
    applicationToken: env.CONNECTPSP_APPLICATION_TOKEN,
    cryptoToken: env.CONNECTPSP_CRYPTO_TOKEN,
    baseUrl: env.CONNECTPSP_BASE_URL ?? ConnectPSP.STAGING,
  });
  return client;
}

/** @param {unknown} body @param {number} [status] */
const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** @param {Request} request @param {Env} env */
async function receiveWebhook(request, env) {
  const raw = new Uint8Array(await request.arrayBuffer()); // the signed bytes, unparsed
  try {
    const event = webhooks.constructEvent(raw, request.headers.get("x-connect-signature") ?? "", env.CONNECTPSP_CRYPTO_TOKEN);
    // Hand the event to a queue here; answer within 5 seconds.
    return json({ received: event.eventType, transactionId: event.data.transactionId });
  } catch (error) {
    if (error instanceof WebhookSignatureError) return json({ error: "invalid signature" }, 400);
    throw error;
  }
}

/** @param {Request} request @param {Env} env */
async function createPayout(request, env) {
  const input = await request.json();
  try {
    const payout = await clientFor(env).cashOut.create({
      amount: input.amount,
      externalReference: input.reference,
      payee: {
        name: input.name,
        document: input.document,
        destination: { type: "PIX", pixKeyType: input.pixKeyType, pixKey: input.pixKey },
      },
    }, {
      // Derived from your reference: a retried request (by the caller, or the edge platform)
      // replays the same payout instead of paying twice.
      idempotencyKey: idempotencyKeyFor(input.reference),
    });
    return json({ transactionId: payout.transactionId, status: payout.status, amount: payout.amount }, 202);
  } catch (error) {
    if (!(error instanceof ConnectPSPError)) throw error;
    // Bad input and business rules are the caller's to fix (422); an unknown outcome (503) must be
    // retried with the same reference, which gives the same idempotency key.
    const callersFault = error instanceof ValidationError || (error.status ?? 500) < 500;
    const status = error.outcomeUnknown ? 503 : callersFault ? 422 : 502;
    return json({ error: error.name, code: error.code ?? null, detail: error.detail ?? error.message }, status);
  }
}

export default {
  /** @param {Request} request @param {Env} env */
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/webhooks/connectpsp") return receiveWebhook(request, env);
    if (request.method === "POST" && pathname === "/payouts") return createPayout(request, env);
    return json({ error: "not found" }, 404);
  },
};
