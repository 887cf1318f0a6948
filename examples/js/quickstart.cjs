// Quickstart (CommonJS): the same flow as quickstart.mjs, for `require` code bases.
//
//   node examples/js/quickstart.cjs     (same environment variables as quickstart.mjs)
const { randomUUID } = require("node:crypto");
const { ConnectPSP, InsufficientFundsError } = require("connectpsp");

async function main() {
  const env = process.env;
  const client = new ConnectPSP({
    clientId: env.CONNECTPSP_CLIENT_ID,
    clientSecret: env.CONNECTPSP_CLIENT_SECRET,
    applicationToken: env.CONNECTPSP_APPLICATION_TOKEN,
    cryptoToken: env.CONNECTPSP_CRYPTO_TOKEN,
    baseUrl: env.CONNECTPSP_BASE_URL ?? ConnectPSP.STAGING,
  });
  const order = randomUUID().slice(0, 12); // your own order id; external references are unique

  const cashIn = await client.cashIn.create({
    amount: "150.50",
    externalReference: `order-${order}`,
    payer: { name: "João Silva", document: "12345678909" },
    expirationInMinutes: 60,
  });
  console.log(`cash-in ${cashIn.transactionId}: ${cashIn.status}, R$ ${cashIn.amount}`);
  console.log(`  copia-e-cola: ${cashIn.pixData.copyAndPaste}`);

  try {
    const cashOut = await client.cashOut.create({
      amount: "50.00",
      externalReference: `withdrawal-${order}`,
      description: "Withdrawal",
      payee: {
        name: "Maria Silva",
        document: "12345678909",
        destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
      },
    });
    console.log(`cash-out ${cashOut.transactionId}: ${cashOut.status} (key ${cashOut.response.idempotencyKey})`);
    console.log(`  now: ${(await client.cashOut.get(cashOut.transactionId)).status}`);
  } catch (error) {
    if (error instanceof InsufficientFundsError) {
      console.log(`not enough balance: ${error.detail}`);
      return 1;
    }
    throw error;
  }

  const balance = await client.account.balance();
  console.log(`transactional balance: R$ ${balance.consolidated.transactionalBalance}`);
  return 0;
}

main().then((code) => {
  process.exitCode = code;
});
