// The money flow every runtime runs (Bun, Deno, workerd, a Web Worker in Chromium;
// runtimes.test.mjs compares what it returns): only web APIs here (fetch, crypto through the
// package), no Node built-in, so the same file runs unchanged in each. `sdk` is the package as
// the runtime loaded it; `input` is { options, webhook: { cryptoToken, body, signature,
// eventType } }. Every value returned is checked by the test; an unexpected error propagates
// and fails the run.

const payer = { name: "Ana Souza", document: "12345678909" };
const pixPayee = {
  name: "Maria Silva",
  document: "12345678909",
  destination: { type: "PIX", pixKey: "12345678909", pixKeyType: "CPF" },
};

/** Which runtime this is, from its own globals (not from anything the test passed in). */
export function runtimeName() {
  const g = globalThis;
  if (typeof g.Bun === "object") return `bun ${g.Bun.version}`;
  if (typeof g.Deno === "object") return `deno ${g.Deno.version.deno}`;
  if (typeof g.navigator === "object" && g.navigator.userAgent === "Cloudflare-Workers") return "workerd";
  if (typeof g.DedicatedWorkerGlobalScope === "function" && g instanceof g.DedicatedWorkerGlobalScope) {
    return `web worker ${g.navigator.userAgent}`;
  }
  if (typeof g.process === "object" && g.process.versions?.node) return `node ${g.process.versions.node}`;
  return "unknown";
}

function errorFacts(sdk, error) {
  return {
    name: error?.name,
    isSdkError: error instanceof sdk.ConnectPSPError,
    isError: error instanceof Error,
    field: error?.field ?? null,
    status: error?.status ?? null,
  };
}

async function expectError(sdk, run) {
  try {
    await run();
  } catch (error) {
    return errorFacts(sdk, error);
  }
  return { name: "no error" };
}

export async function flow(sdk, input) {
  const { options, webhook } = input;
  const control = async (method, path, body) => {
    const response = await fetch(options.baseUrl + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox control ${method} ${path}: ${response.status} ${text}`);
    return text === "" ? null : JSON.parse(text);
  };
  const lastSeq = async () => (await control("GET", `/_sandbox/requests?since=${Number.MAX_SAFE_INTEGER}`)).lastSeq;
  const ref = (tag) => `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  const out = { runtime: runtimeName() };
  const client = new sdk.ConnectPSP(options);

  // Bad input is refused by the core before any request: the sandbox journals nothing.
  const seqBefore = await lastSeq();
  out.validation = await expectError(sdk, () =>
    client.cashIn.create({ amount: "10.001", externalReference: ref("bad"), payer }),
  );
  out.validation.isValidationError = (await expectErrorClass(sdk, sdk.ValidationError, () =>
    client.cashOut.create({ amount: "NaN", externalReference: ref("bad"), payee: pixPayee }),
  ));
  out.requestsSentByBadInput = (await lastSeq()) - seqBefore;

  // Cash-in → paid through the control API → read back.
  // Its webhook goes to the sandbox itself (loopback): the test reads the delivery from the journal.
  const cashIn = await client.cashIn.create({
    amount: "150.50",
    externalReference: ref("rt-in"),
    payer,
    webhookUrl: `${options.baseUrl}/_sandbox/health`,
  });
  out.cashIn = {
    status: cashIn.status,
    amount: cashIn.amount,
    httpStatus: cashIn.response.status,
    brCodeAmount: sdk.pix.parseBrCode(cashIn.pixData.copyAndPaste).amount,
  };
  await control("POST", `/_sandbox/cash-in/${cashIn.transactionId}/pay`);
  const paid = await client.cashIn.get(cashIn.transactionId);
  out.paid = {
    status: paid.status,
    amount: paid.amount,
    sameTransaction: paid.transactionId === cashIn.transactionId,
    endToEndIdFromPix: /^E/.test(paid.endToEndId ?? ""),
  };

  // A cash-out (a money-moving call: idempotency key generated from the runtime's randomness).
  const cashOut = await client.cashOut.create({ amount: "50.25", externalReference: ref("rt-out"), payee: pixPayee });
  out.cashOut = {
    status: cashOut.status,
    amount: cashOut.amount,
    httpStatus: cashOut.response.status,
    idempotencyKeyShape: /^[0-9a-f-]{36}$/.test(cashOut.response.idempotencyKey),
  };
  const readBack = await client.cashOut.get(cashOut.transactionId);
  out.cashOutRead = { status: readBack.status, amount: readBack.amount };

  // The balance as the SDK reads it equals the sandbox's own figure (exact decimal strings).
  await control("POST", "/_sandbox/balances", { transactional: "1234.56", proprietary: "0.07" });
  const balance = await client.account.balance();
  out.balance = {
    currency: balance.currency,
    transactional: balance.consolidated.transactionalBalance,
    type: typeof balance.consolidated.transactionalBalance,
  };

  // The CASHIN_PAID the sandbox signed and delivered, verified by the client (its cryptoToken).
  let delivery;
  for (let i = 0; i < 50 && delivery === undefined; i++) {
    const { webhooks } = await control("GET", "/_sandbox/webhooks");
    delivery = webhooks.find((w) => w.transactionId === cashIn.transactionId && w.eventType === "CASHIN_PAID");
    if (delivery === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (delivery === undefined) throw new Error("the sandbox delivered no CASHIN_PAID webhook in 5 s");
  const delivered = client.webhooks.constructEvent(
    delivery.body,
    new Headers({ "X-Connect-Signature": delivery.signature }),
  );
  out.deliveredWebhook = {
    eventType: delivered.eventType,
    sameTransaction: delivered.data.transactionId === cashIn.transactionId,
    amount: delivered.data.amount,
  };

  // Webhook verification: the shared vector verifies; one flipped byte is refused.
  const event = sdk.webhooks.constructEvent(webhook.body, webhook.signature, webhook.cryptoToken);
  out.webhook = { eventType: event.eventType };
  out.tamperedWebhook = await expectError(sdk, () =>
    sdk.webhooks.constructEvent(webhook.body.replace("PAID", "PAIX"), webhook.signature, webhook.cryptoToken),
  );

  // An API error mapped to its class.
  out.notFound = await expectError(sdk, () => client.cashOut.get(`missing-${ref("x")}`));
  out.notFound.isNotFoundError = await expectErrorClass(sdk, sdk.NotFoundError, () => client.cashIn.get(`missing-${ref("y")}`));
  return out;
}

async function expectErrorClass(sdk, errorClass, run) {
  try {
    await run();
  } catch (error) {
    return error instanceof errorClass && error instanceof sdk.ConnectPSPError;
  }
  return false;
}
