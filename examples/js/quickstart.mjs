// Quickstart (ES modules): charge a customer by PIX, pay someone out, read the balance.
//
//   export CONNECTPSP_BASE_URL=http://127.0.0.1:8080   # the sandbox; or ConnectPSP.STAGING
//   export CONNECTPSP_CLIENT_ID=... CONNECTPSP_CLIENT_SECRET=...
//   export CONNECTPSP_APPLICATION_TOKEN=... CONNECTPSP_CRYPTO_TOKEN=...
//   node examples/js/quickstart.mjs
import { randomUUID } from "node:crypto";
import { ConnectPSP, InsufficientFundsError } from "connectpsp";

const env = process.env;
const client = new ConnectPSP({
  clientId: env.CONNECTPSP_CLIENT_ID,
  clientSecret: env.CONNECTPSP_CLIENT_SECRET,
  applicationToken: env.CONNECTPSP_APPLICATION_TOKEN,
  cryptoToken: env.CONNECTPSP_CRYPTO_TOKEN,
  baseUrl: env.CONNECTPSP_BASE_URL ?? ConnectPSP.STAGING,
});
const order = randomUUID().slice(0, 12); // your own order id; external references are unique

// A PIX charge: show the copia-e-cola (or the QR image) to the payer.
const cashIn = await client.cashIn.create({
  amount: "150.50", // amounts are exact decimal strings, in and out
  externalReference: `order-${order}`,
  payer: { name: "João Silva", document: "12345678909" },
  expirationInMinutes: 60,
});
console.log(`cash-in ${cashIn.transactionId}: ${cashIn.status}, R$ ${cashIn.amount}`);
console.log(`  copia-e-cola: ${cashIn.pixData.copyAndPaste}`);

// A payout by PIX key. Keep the idempotency key with your withdrawal record: if this call ends in
// an "outcome unknown" error, re-submit with the same key and it cannot pay twice.
let cashOut;
try {
  cashOut = await client.cashOut.create({
    amount: "50.00",
    externalReference: `withdrawal-${order}`,
    description: "Withdrawal",
    payee: {
      name: "Maria Silva",
      document: "12345678909",
      destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
    },
  });
} catch (error) {
  if (error instanceof InsufficientFundsError) {
    console.log(`not enough balance: ${error.detail}`);
    process.exit(1);
  }
  throw error;
}
console.log(`cash-out ${cashOut.transactionId}: ${cashOut.status} (key ${cashOut.response.idempotencyKey})`);
console.log(`  now: ${(await client.cashOut.get(cashOut.transactionId)).status}`);

const balance = await client.account.balance();
console.log(`transactional balance: R$ ${balance.consolidated.transactionalBalance}`);
