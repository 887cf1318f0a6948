// One flow through every endpoint with the npm package, sent through Prism
// (CONFORMANCE_PROXY_URL); the sandbox's control API (not part of the spec) is called directly.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { ConnectPSP } = await import(pathToFileURL(join(process.env.CONNECTPSP_PKG, "node.mjs")).href);
const env = process.env;
const sandbox = env.CONFORMANCE_BASE_URL;
const ref = (kind) => `js-${kind}-${randomUUID().slice(0, 12)}`;
const control = async (path) => {
  const response = await fetch(`${sandbox}/_sandbox${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  if (!response.ok) throw new Error(`control ${path}: ${response.status}`);
};

const client = new ConnectPSP({
  clientId: env.CONFORMANCE_CLIENT_ID,
  clientSecret: env.CONFORMANCE_CLIENT_SECRET,
  applicationToken: env.CONFORMANCE_APPLICATION_TOKEN,
  cryptoToken: env.CONFORMANCE_CRYPTO_TOKEN,
  baseUrl: env.CONFORMANCE_PROXY_URL,
  maxRetries: 0,
});
const payer = { name: "João Silva", document: "12345678909" };
const charge = await client.cashIn.create({
  amount: 150.5,
  externalReference: ref("ci"),
  payer,
  webhookUrl: "https://api.yourdomain.com/webhooks/connectpsp",
  expirationInMinutes: 60,
});
await client.cashIn.create({
  amount: "10.00",
  externalReference: ref("of"),
  payer,
  openFinance: { redirectUrl: "https://shop.example/back" },
});
await client.cashIn.get(charge.transactionId);
await control(`/cash-in/${charge.transactionId}/pay`);
const refund = await client.cashIn.refund(charge.transactionId, { reason: "CUSTOMER_REQUEST", description: "ticket #1234" });
if (!refund.endToEndId.startsWith("D")) throw new Error(`refund ${JSON.stringify(refund)}`);
const payout = await client.cashOut.create({
  amount: "50.00",
  externalReference: ref("co"),
  description: "User withdrawal",
  payee: { name: "Maria Silva", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } },
});
await client.cashOut.create({
  amount: 12.34,
  externalReference: ref("bank"),
  payee: {
    name: "Maria Silva",
    document: "11222333000181",
    destination: {
      type: "BANK_ACCOUNT",
      bankAccount: { ispb: "18236120", branch: "0001", account: "947710840", accountType: "PAYMENT" },
    },
  },
});
await client.cashOut.get(payout.transactionId);
await client.account.balance();
await client.account.rebalance({ targetAmount: "1000.00" });
console.log(JSON.stringify({ "js flow": "ok", refund: refund.endToEndId.slice(0, 1) }));
