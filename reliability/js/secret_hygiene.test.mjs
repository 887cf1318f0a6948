// Secret hygiene of the npm package (as tests/test_secret_hygiene.py): a whole flow and every
// error path, then a scan of console output, messages, toString, stacks, JSON.stringify and
// util.inspect of errors, results and clients for the client secret, the crypto token, any
// access token (JWT) and the full CPF/CNPJ values used. Zero hits allowed.
import assert from "node:assert/strict";
import { createHmac, randomBytes, randomInt } from "node:crypto";
import { format, inspect } from "node:util";
import { test } from "node:test";
import { localServer, sdk, startSandbox, waitFor } from "./helpers.mjs";

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;

function cpfWithCheckDigits(base9) {
  const d = [...base9].map(Number);
  for (const length of [9, 10]) {
    const total = d.slice(0, length).reduce((sum, x, i) => sum + x * (length + 1 - i), 0);
    d.push(((total * 10) % 11) % 10);
  }
  return d.join("");
}

function cnpjWithCheckDigits(base12) {
  const w = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  const d = [...base12].map(Number);
  for (const weights of [w, [6, ...w]]) {
    const r = d.reduce((sum, x, i) => sum + x * weights[i], 0) % 11;
    d.push(r < 2 ? 0 : 11 - r);
  }
  return d.join("");
}

const digits = (n) => Array.from({ length: n }, () => randomInt(10)).join("");

test("no secret, token or full document in anything a user could print", async () => {
  const sb = await startSandbox();
  const evidence = [];
  const add = (where, text) => evidence.push([where, typeof text === "string" ? text : inspect(text, { depth: 10 })]);
  // Everything printed through console during the run is evidence too.
  const originals = {};
  for (const name of ["log", "info", "warn", "error", "debug"]) {
    originals[name] = console[name];
    console[name] = (...args) => add(`console.${name}`, format(...args));
  }
  const addError = (where, error) => {
    add(`${where}: message`, error.message);
    add(`${where}: toString`, String(error));
    add(`${where}: stack`, error.stack ?? "");
    add(`${where}: JSON`, JSON.stringify(error));
    add(`${where}: inspect`, inspect(error, { showHidden: true, depth: 10 }));
    add(`${where}: keys`, JSON.stringify(Object.getOwnPropertyNames(error).map((k) => [k, String(error[k])])));
    console.error(error);
  };
  const expectError = async (where, Class, promiseOrFn) => {
    let error;
    try {
      await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof Class, `${where}: expected ${Class.name}, got ${error}`);
    addError(where, error);
  };

  const cpf = cpfWithCheckDigits(digits(9));
  const cnpj = cnpjWithCheckDigits(`${digits(8)}0001`);
  const badCpf = cpf.slice(0, -1) + String((Number(cpf.at(-1)) + 1) % 10);
  const wrongSecret = `rel-wrong-secret-${randomBytes(16).toString("hex")}`;
  const wrongCrypto = `rel-wrong-crypto-${randomBytes(16).toString("hex")}`;
  const accessToken = await sb.accessToken();
  const payer = { name: "Ana Souza", document: cpf };
  const payee = { name: "Loja Exemplo", document: cnpj, destination: { type: "PIX", pixKeyType: "CPF", pixKey: cpf } };
  const received = [];
  const receiver = await localServer((req, res, body) => {
    received.push({ body, headers: req.headers });
    res.end();
  });

  try {
    const client = sb.client({ maxRetries: 0, timeoutMs: 1000 });
    add("client String", String(client));
    add("client JSON", JSON.stringify(client));
    add("client inspect", inspect(client, { showHidden: true, depth: 10 }));
    add("client keys", JSON.stringify(Object.keys(client)));

    // The happy flow.
    const cashIn = await client.cashIn.create({ amount: "150.50", externalReference: "sec-in-1", payer, webhookUrl: `${receiver.url}/hook` });
    await sb.control("POST", `/_sandbox/cash-in/${cashIn.transactionId}/pay`);
    const results = {
      cashIn,
      paid: await client.cashIn.get(cashIn.transactionId),
      refunded: await client.cashIn.refund(cashIn.transactionId, { reason: "CUSTOMER_REQUEST", description: "ticket 1" }),
      cashOut: await client.cashOut.create({ amount: "20.00", externalReference: "sec-out-1", payee, webhookUrl: `${receiver.url}/hook` }),
      balance: await client.account.balance(),
      rebalance: await client.account.rebalance({ targetAmount: "900000.00" }),
    };
    results.cashOutGet = await client.cashOut.get(results.cashOut.transactionId);
    // Results are the user's data (documents included, by design); their response metadata is
    // what gets logged, and must be clean.
    for (const [name, r] of Object.entries(results)) {
      add(`${name} response`, JSON.stringify({ ...r.response, rawBody: undefined }));
      add(`${name} String`, String(r));
    }
    await waitFor(() => received.length >= 3, 10_000, "webhook deliveries");
    for (const [i, d] of received.entries()) {
      const event = client.webhooks.constructEvent(d.body, d.headers);
      add(`event ${i} dedupeKey`, event.dedupeKey);
      await expectError(`tampered webhook ${i}`, sdk.WebhookSignatureError, () =>
        client.webhooks.constructEvent(Buffer.concat([d.body, Buffer.from(" ")]), d.headers));
      const forged = createHmac("sha256", wrongCrypto).update(d.body).digest("hex");
      await expectError(`webhook wrong key ${i}`, sdk.WebhookSignatureError, () =>
        client.webhooks.constructEvent(d.body, { "x-connect-signature": forged }));
    }

    // Every error path.
    const base = { ...sb.credentials, baseUrl: sb.baseUrl, maxRetries: 0, timeoutMs: 1000 };
    await expectError("invalid CPF", sdk.ValidationError,
      client.cashIn.create({ amount: "1.00", externalReference: "sec-bad-doc", payer: { name: "X", document: badCpf } }));
    await expectError("invalid pix key", sdk.ValidationError,
      client.cashOut.create({ amount: "1.00", externalReference: "sec-bad-key", payee: { ...payee, destination: { type: "PIX", pixKeyType: "CNPJ", pixKey: badCpf } } }));
    await expectError("float amount", sdk.ValidationError,
      client.cashOut.create({ amount: 0.1 + 0.2, externalReference: "sec-float", payee }));
    await expectError("insecure base url", sdk.ValidationError, () => new sdk.ConnectPSP({ ...base, baseUrl: "http://api.example.com" }));
    await expectError("empty secret", sdk.ValidationError, () => new sdk.ConnectPSP({ ...base, clientSecret: "" }));
    await expectError("wrong secret", sdk.AuthenticationError, new sdk.ConnectPSP({ ...base, clientSecret: wrongSecret }).account.balance());
    await expectError("wrong application token", sdk.AuthenticationError,
      new sdk.ConnectPSP({ ...base, applicationToken: "00000000-0000-4000-8000-000000000000" }).account.balance());
    await expectError("wrong crypto token", sdk.SignatureError,
      new sdk.ConnectPSP({ ...base, cryptoToken: wrongCrypto }).cashOut.create({ amount: "1.00", externalReference: "sec-sig", payee }));
    await expectError("not found", sdk.NotFoundError, client.cashOut.get("00000000-0000-4000-8000-00000000dead"));
    await expectError("duplicate reference", sdk.ConflictError, client.cashOut.create({ amount: "20.00", externalReference: "sec-out-1", payee }));
    await expectError("key reused", sdk.ConflictError, client.cashOut.create(
      { amount: "21.00", externalReference: "sec-out-2", payee }, { idempotencyKey: results.cashOut.response.idempotencyKey }));
    const unpaid = await client.cashIn.create({ amount: "2.00", externalReference: "sec-in-2", payer });
    await expectError("refund not paid", sdk.BusinessRuleError, client.cashIn.refund(unpaid.transactionId, { reason: "CUSTOMER_REQUEST" }));
    await expectError("fraud", sdk.BusinessRuleError, client.cashOut.create({ amount: "666.66", externalReference: "sec-fraud", payee }));
    await expectError("insufficient funds", sdk.InsufficientFundsError,
      client.cashOut.create({ amount: "9999999999.99", externalReference: "sec-poor", payee }));
    for (const [kind, extra, Class] of [
      ["rate_limit", { retryAfterSeconds: 1 }, sdk.RateLimitError],
      ["status", { status: 503 }, sdk.ServerError],
      ["latency", { latencyMs: 1500 }, sdk.TimeoutError],
      ["commit_then_drop", {}, sdk.ConnectionError],
    ]) {
      await sb.fault({ method: "POST", path: "/cash-out", kind, count: 1, ...extra });
      await expectError(`fault ${kind}`, Class, client.cashOut.create({ amount: "3.00", externalReference: `sec-fault-${kind}`, payee }));
    }
    await expectError("connection refused", sdk.ConnectionError,
      new sdk.ConnectPSP({ ...base, baseUrl: "http://127.0.0.1:9" }).cashOut.create({ amount: "3.00", externalReference: "sec-refused", payee }));
    // A server answering the token exchange with garbage that quotes a real token and the secret.
    const leaky = await sb.accessToken();
    const garbage = await localServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`<html>${leaky} ${sb.credentials.clientSecret}</html>`);
    });
    try {
      await expectError("garbage token answer", sdk.DecodeError, new sdk.ConnectPSP({ ...base, baseUrl: garbage.url }).account.balance());
    } finally {
      await garbage.close();
    }
  } finally {
    Object.assign(console, originals);
    await receiver.close();
    await sb.stop();
  }

  const needles = {
    "client secret": sb.credentials.clientSecret,
    "crypto token": sb.credentials.cryptoToken,
    "access token": accessToken,
    "wrong client secret": wrongSecret,
    "wrong crypto token": wrongCrypto,
    CPF: cpf,
    CNPJ: cnpj,
    "invalid CPF": badCpf,
  };
  const hits = [];
  for (const [where, text] of evidence) {
    for (const [name, needle] of Object.entries(needles)) if (text.includes(needle)) hits.push(`${name} in ${where}`);
    if (JWT.test(text)) hits.push(`a JWT in ${where}`);
  }
  assert.deepEqual(hits, []);
  assert.ok(evidence.length > 100, `only ${evidence.length} pieces of evidence`);
});
