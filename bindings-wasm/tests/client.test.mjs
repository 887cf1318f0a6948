// Every endpoint and every error class of the client, over real HTTP against a private sandbox.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { inspect } from "node:util";

import { cjs, esm, startSandbox, vector } from "./helpers.mjs";

const sdk = esm;
const {
  ConnectPSP,
  ConnectPSPError,
  ValidationError,
  AuthenticationError,
  SignatureError,
  NotFoundError,
  ConflictError,
  BusinessRuleError,
  InsufficientFundsError,
  DecodeError,
} = sdk;

let sandbox;
let client;

before(async () => {
  sandbox = await startSandbox(["--manual-settle"]);
  client = new ConnectPSP(sandbox.options());
});

after(() => sandbox?.stop());

let refCounter = 0;
const ref = (prefix) => `${prefix}-${process.pid}-${Date.now()}-${++refCounter}`;

const payer = { name: "João Silva", document: "12345678909" };
const pixPayee = {
  name: "Maria Silva",
  document: "12345678909",
  destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
};

/** Runs `fn` and asserts the sandbox received no API request meanwhile. */
async function assertNothingSent(fn) {
  const before = await sandbox.lastSeq();
  await fn();
  const sent = await sandbox.requests(before);
  assert.deepEqual(
    sent.map((r) => `${r.method} ${r.path}`),
    [],
    "a request reached the sandbox",
  );
}

describe("endpoints", () => {
  test("cashIn.create → get → pay → refund, amounts exact", async () => {
    const externalReference = ref("order");
    const created = await client.cashIn.create({
      amount: "150.50",
      externalReference,
      payer,
      webhookUrl: "https://example.com/hooks/connectpsp",
      expirationInMinutes: 60,
    });
    assert.equal(created.status, "AWAITING_PAYMENT");
    assert.equal(created.amount, "150.50");
    assert.equal(typeof created.amount, "string");
    assert.equal(created.externalReference, externalReference);
    assert.ok(created.transactionId.length > 0);
    // The copy-and-paste code is a real BR Code for the same amount.
    assert.equal(sdk.pix.parseBrCode(created.pixData.copyAndPaste).amount, "150.50");
    // Response metadata is there but not part of the resource's JSON.
    assert.equal(created.response.status, 201);
    assert.match(created.response.idempotencyKey, /^[0-9a-f-]{36}$/);
    assert.equal(created.response.attempts, 1);
    assert.ok(!("response" in JSON.parse(JSON.stringify(created))));

    const fetched = await client.cashIn.get(created.transactionId);
    assert.equal(fetched.transactionId, created.transactionId);
    assert.equal(fetched.amount, "150.50");
    assert.equal(fetched.status, "AWAITING_PAYMENT");

    await sandbox.control("POST", `/_sandbox/cash-in/${created.transactionId}/pay`);
    const paid = await client.cashIn.get(created.internalCode);
    assert.equal(paid.status, "PAID");
    assert.match(paid.endToEndId, /^E/);

    const refunded = await client.cashIn.refund(created.transactionId, { reason: "CUSTOMER_REQUEST" });
    assert.equal(refunded.status, "REFUNDED");
    assert.match(refunded.endToEndId, /^D/);
    assert.equal(refunded.originalEndToEndId, paid.endToEndId);
    assert.equal(refunded.response.status, 202);
  });

  test("an OpenFinance cash-in answers with a paymentUrl instead of a QR code", async () => {
    const created = await client.cashIn.create({
      amount: "20.00",
      externalReference: ref("of"),
      payer,
      openFinance: { redirectUrl: "https://example.com/back" },
    });
    assert.equal(typeof created.paymentUrl, "string");
    assert.ok(created.paymentUrl.length > 0);
    assert.equal(created.pixData ?? null, null);
    assert.equal(created.amount, "20.00");
  });

  test("numbers with at most two decimals are accepted and come back as exact strings", async () => {
    const created = await client.cashIn.create({ amount: 150.5, externalReference: ref("num"), payer });
    assert.equal(created.amount, "150.50");
    const big = await client.cashIn.create({ amount: 9999999999.99, externalReference: ref("max"), payer });
    assert.equal(big.amount, "9999999999.99");
  });

  test("every valid amount vector gives its exact decimal string", async () => {
    for (const { text, formatted, centavos, jsonNumber } of vector("amounts.json").valid) {
      if (centavos === 0) continue; // a cash-in needs a positive amount
      const fromString = await client.cashIn.create({ amount: text, externalReference: ref("amt"), payer });
      assert.equal(fromString.amount, formatted, text);
      if (jsonNumber && String(Number(text)).split(".")[1]?.length <= 2) {
        const fromNumber = await client.cashIn.create({ amount: Number(text), externalReference: ref("amt"), payer });
        assert.equal(fromNumber.amount, formatted, `${text} as a number`);
      }
    }
  });

  test("cashOut.create (PIX and bank account) → get", async () => {
    const created = await client.cashOut.create({ amount: "50.00", externalReference: ref("wd"), payee: pixPayee });
    assert.equal(created.status, "PROCESSING");
    assert.equal(created.amount, "50.00");
    assert.equal(created.payee.destination.type, "PIX");
    assert.equal(created.response.status, 202);
    assert.match(created.response.idempotencyKey, /^[0-9a-f-]{36}$/);

    await sandbox.control("POST", `/_sandbox/cash-out/${created.transactionId}/complete`);
    const completed = await client.cashOut.get(created.transactionId);
    assert.equal(completed.status, "COMPLETED");
    assert.match(completed.endToEndId, /^E/);

    const toAccount = await client.cashOut.create({
      amount: 12.34,
      externalReference: ref("wd"),
      payee: {
        name: "Maria Silva",
        document: "11222333000181",
        destination: {
          type: "BANK_ACCOUNT",
          bankAccount: { ispb: "18236120", branch: "0001", account: "947710840", accountType: "PAYMENT" },
        },
      },
    });
    assert.equal(toAccount.amount, "12.34");
    assert.equal(toAccount.payee.destination.bankAccount.ispb, "18236120");
  });

  test("account.balance and account.rebalance", async () => {
    const balance = await client.account.balance();
    assert.equal(balance.currency, "BRL");
    for (const value of Object.values(balance.consolidated)) assert.match(value, /^\d+\.\d{2}$/);
    assert.ok(balance.banks.length > 0);
    const target = "1000.00";
    const result = await client.account.rebalance({ targetAmount: target });
    assert.equal(result.success, true);
    const after = await client.account.balance();
    assert.equal(after.consolidated.transactionalBalance, target);
  });

  test("a caller-given idempotency key is sent and a replay returns the same transaction", async () => {
    const key = sdk.idempotencyKeyFor(ref("key"));
    const params = { amount: "7.00", externalReference: ref("idem"), payee: pixPayee };
    const first = await client.cashOut.create(params, { idempotencyKey: key });
    const second = await client.cashOut.create(params, { idempotencyKey: key });
    assert.equal(first.response.idempotencyKey, key);
    assert.equal(second.transactionId, first.transactionId);
    const rows = (await sandbox.control("GET", "/_sandbox/transactions")).transactions;
    assert.equal(rows.filter((r) => r.externalReference === params.externalReference).length, 1);
  });
});

describe("errors", () => {
  test("ValidationError before any request, for every bad input vector", async () => {
    const { cases } = vector("bad_inputs.json");
    assert.ok(cases.length > 0);
    const methods = {
      "cashIn.create": (p) => client.cashIn.create(p),
      "cashIn.get": (p) => client.cashIn.get(p.id),
      "cashIn.refund": ({ id, ...rest }) => client.cashIn.refund(id, rest),
      "cashOut.create": (p) => client.cashOut.create(p),
      "cashOut.get": (p) => client.cashOut.get(p.id),
      "account.rebalance": (p) => client.account.rebalance(p),
    };
    await assertNothingSent(async () => {
      for (const { name, call, params, field } of cases) {
        const run = methods[call];
        assert.ok(run, `unknown call ${call}`);
        await assert.rejects(
          () => run(params),
          (error) => {
            assert.ok(error instanceof ValidationError, `${name}: ${error}`);
            assert.equal(error.field, field, name);
            assert.equal(error.attempts, 0, name);
            return true;
          },
          name,
        );
      }
    });
  });

  test("binary-float amounts are refused, not rounded", async () => {
    await assertNothingSent(async () => {
      for (const amount of [0.1 + 0.2, 10.005, 1e21, Number.NaN, Infinity, -1]) {
        await assert.rejects(
          () => client.cashIn.create({ amount, externalReference: ref("f"), payer }),
          (e) => e instanceof ValidationError && e.field === "amount",
          String(amount),
        );
      }
    });
  });

  test("AuthenticationError on wrong credentials", async () => {
    const bad = new ConnectPSP(sandbox.options({ clientSecret: "not-the-secret" }));
    await assert.rejects(
      () => bad.account.balance(),
      (e) => e instanceof AuthenticationError && e.status === 401 && e.code === "INVALID_CREDENTIALS",
    );
  });

  test("SignatureError when the cryptoToken is wrong", async () => {
    const bad = new ConnectPSP(sandbox.options({ cryptoToken: "wrong-crypto-token" }));
    await assert.rejects(
      () => bad.cashOut.create({ amount: "1.00", externalReference: ref("sig"), payee: pixPayee }),
      (e) => e instanceof SignatureError && e.status === 422 && e.code === "INVALID_SIGNATURE",
    );
  });

  test("NotFoundError on an unknown id", async () => {
    await assert.rejects(
      () => client.cashIn.get("doesnotexist123"),
      (e) => e instanceof NotFoundError && e.status === 404 && typeof e.requestId === "string",
    );
  });

  test("ConflictError on a duplicate externalReference and on a reused key with another body", async () => {
    const externalReference = ref("dup");
    await client.cashOut.create({ amount: "1.00", externalReference, payee: pixPayee });
    await assert.rejects(
      () => client.cashOut.create({ amount: "1.00", externalReference, payee: pixPayee }),
      (e) => e instanceof ConflictError && e.status === 409,
    );
    const key = sdk.idempotencyKeyFor(ref("reuse"));
    await client.cashOut.create({ amount: "1.00", externalReference: ref("a"), payee: pixPayee }, { idempotencyKey: key });
    await assert.rejects(
      () => client.cashOut.create({ amount: "2.00", externalReference: ref("b"), payee: pixPayee }, { idempotencyKey: key }),
      (e) => e instanceof ConflictError && e.idempotencyKey === key,
    );
  });

  test("BusinessRuleError on refunding an unpaid cash-in", async () => {
    const created = await client.cashIn.create({ amount: "5.00", externalReference: ref("unpaid"), payer });
    await assert.rejects(
      () => client.cashIn.refund(created.transactionId, { reason: "FRAUD" }),
      (e) =>
        e instanceof BusinessRuleError &&
        !(e instanceof InsufficientFundsError) &&
        e.code === "CASH_IN_NOT_PAID" &&
        e.status === 422,
    );
  });

  test("InsufficientFundsError (a BusinessRuleError) on a payout above the balance", async () => {
    const balance = await client.account.balance();
    const tooMuch = (Number(balance.consolidated.transactionalBalance) + 1000).toFixed(2);
    await assert.rejects(
      () => client.cashOut.create({ amount: tooMuch, externalReference: ref("big"), payee: pixPayee }),
      (e) =>
        e instanceof InsufficientFundsError &&
        e instanceof BusinessRuleError &&
        e instanceof ConnectPSPError &&
        e instanceof Error &&
        e.code === "INSUFFICIENT_FUNDS" &&
        e.name === "InsufficientFundsError",
    );
  });

  test("DecodeError when a 200 answer is not what the API sends", async () => {
    let calls = 0;
    const fake = new ConnectPSP(
      sandbox.options({
        fetch: async (url, init) => {
          calls++;
          if (String(url).endsWith("/auth/token")) return fetch(url, init);
          return new Response("<html>not json</html>", { status: 200, headers: { "content-type": "text/html" } });
        },
      }),
    );
    await assert.rejects(() => fake.account.balance(), (e) => e instanceof DecodeError && e.status === 200);
    assert.ok(calls >= 2);
  });

  test("errors are real Error subclasses, with a stack, shared by require and import", async () => {
    const viaRequire = new cjs.ConnectPSP(sandbox.options());
    await assert.rejects(
      () => viaRequire.cashIn.get("doesnotexist456"),
      (e) => e instanceof esm.NotFoundError && e instanceof cjs.NotFoundError && typeof e.stack === "string",
    );
    assert.equal(cjs.ConnectPSPError, esm.ConnectPSPError);
    const e = new ValidationError("x: bad", { field: "x" });
    assert.equal(e.name, "ValidationError");
    assert.equal(String(e), "ValidationError: x: bad");
    assert.equal(e.field, "x");
  });
});

describe("options and secrets", () => {
  test("base URL must be https except loopback, unless dangerouslyAllowInsecureHttp", () => {
    for (const baseUrl of ["http://api.example.com", "ftp://x", "not a url", "https://user@evil.com"]) {
      assert.throws(
        () => new ConnectPSP(sandbox.options({ baseUrl })),
        (e) => e instanceof ValidationError && e.field === "baseUrl",
        baseUrl,
      );
    }
    assert.ok(new ConnectPSP(sandbox.options({ baseUrl: "http://10.0.0.1:8080", dangerouslyAllowInsecureHttp: true })));
    assert.ok(new ConnectPSP(sandbox.options({ baseUrl: ConnectPSP.STAGING })));
    assert.equal(ConnectPSP.PRODUCTION, "https://api.connectpsp.com");
    assert.equal(ConnectPSP.STAGING, "https://api.homologacao.connectpsp.com");
  });

  test("bad options are typed errors", () => {
    assert.throws(() => new ConnectPSP(), (e) => e instanceof ValidationError);
    assert.throws(() => new ConnectPSP(sandbox.options({ clientSecret: "" })), (e) => e instanceof ValidationError && e.field === "clientSecret");
    assert.throws(() => new ConnectPSP(sandbox.options({ timeoutMs: 0 })), (e) => e instanceof ValidationError && e.field === "timeoutMs");
    assert.throws(() => new ConnectPSP(sandbox.options({ fetch: "nope" })), (e) => e instanceof ValidationError && e.field === "fetch");
  });

  test("a closed client refuses calls with a typed error", async () => {
    const closing = new ConnectPSP(sandbox.options());
    await closing.account.balance();
    closing.close();
    closing.close(); // idempotent
    await assert.rejects(() => closing.account.balance(), (e) => e instanceof ConnectPSPError && e.code === "CLIENT_CLOSED");
    assert.throws(() => closing.webhooks.constructEvent("{}", { "x-connect-signature": "00" }), (e) => e.code === "CLIENT_CLOSED");
  });

  test("no secret in any rendering of a client or of errors", async () => {
    const { clientSecret, cryptoToken } = sandbox.credentials;
    const secrets = [clientSecret, cryptoToken];
    const seen = [];
    const record = (value) => {
      seen.push(String(value), JSON.stringify(value) ?? "", inspect(value, { showHidden: true, depth: 8 }));
      if (value instanceof Error) seen.push(value.message, value.stack ?? "");
    };
    record(client);
    record(client.cashIn);
    // A token is issued by now; the access token must not leak either.
    const token = await (await fetch(`${sandbox.url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientId: sandbox.credentials.clientId, clientSecret }),
    })).json();
    secrets.push(token.accessToken);
    const failures = [
      () => new ConnectPSP(sandbox.options({ clientSecret: `${clientSecret}\r\n` })),
      () => new ConnectPSP(sandbox.options({ baseUrl: `http://example.com/${clientSecret}` })),
      () => new ConnectPSP(sandbox.options({ cryptoToken: "wrong" })).cashOut.create({ amount: "1.00", externalReference: ref("s"), payee: pixPayee }),
      () => new ConnectPSP(sandbox.options({ clientSecret: "wrong" })).account.balance(),
      () => client.cashIn.get("doesnotexist789"),
      () => sdk.webhooks.constructEvent("{}", "00", cryptoToken),
      () => client.webhooks.constructEvent("{}", { "x-connect-signature": "00" }),
    ];
    for (const fail of failures) {
      try {
        await fail();
        assert.fail("expected an error");
      } catch (error) {
        assert.ok(error instanceof ConnectPSPError, String(error));
        record(error);
      }
    }
    for (const text of seen) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `secret found in: ${text.slice(0, 200)}`);
    }
    assert.equal(String(client), `ConnectPSP(${sandbox.url})`);
    assert.deepEqual(JSON.parse(JSON.stringify(client)), { baseUrl: sandbox.url });
  });
});
