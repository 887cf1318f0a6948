// The web entry (web.mjs) in headless Chromium: the package loads as native ESM with no Node
// built-in, parses a BR Code offline, refuses to hold secrets without dangerouslyAllowBrowser,
// and with it makes a real call to the sandbox (which serves CORS) through the browser's fetch.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { PKG, launchChromium, serveStatic, startSandbox, vector } from "./helpers.mjs";

let sandbox;
let server;
let browser;
let pageUrl;

before(async () => {
  sandbox = await startSandbox();
  server = await serveStatic(PKG);
  pageUrl = server.url;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  sandbox?.stop();
});

test("web.mjs in Chromium: BR Code parse, browser guard, and a sandbox call", async () => {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  await page.goto(pageUrl);
  const [brcode] = vector("pix/brcodes.json").valid ?? [];
  const result = await page.evaluate(
    async ({ options, code }) => {
      const sdk = await import("/web.mjs");
      const out = { exports: Object.keys(sdk).sort() };
      out.cpf = sdk.pix.isValidCpf("11144477735");
      if (code) out.parsed = sdk.pix.parseBrCode(code.payload ?? code);
      try {
        new sdk.ConnectPSP(options);
        out.guard = "no error";
      } catch (error) {
        out.guard = { name: error.name, isSdkError: error instanceof sdk.ConnectPSPError, message: error.message };
      }
      const client = new sdk.ConnectPSP({ ...options, dangerouslyAllowBrowser: true });
      const balance = await client.account.balance();
      out.balance = { currency: balance.currency, total: balance.consolidated.totalBalance };
      // A signed, keyed POST: DigitalSignature and X-Idempotency-Key cross CORS too.
      const payout = await client.cashOut.create({
        amount: "1.50",
        externalReference: "browser-" + Date.now(),
        payee: { name: "Maria", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } },
      });
      out.payout = { status: payout.status, amount: payout.amount, key: payout.response.idempotencyKey };
      try {
        await client.cashIn.get("doesnotexist");
      } catch (error) {
        out.notFound = { isNotFound: error instanceof sdk.NotFoundError, status: error.status };
      }
      out.clientJson = JSON.stringify(client);
      return out;
    },
    { options: sandbox.options(), code: brcode },
  );
  assert.deepEqual(pageErrors, []);
  assert.ok(result.exports.includes("ConnectPSP") && result.exports.includes("webhooks"));
  assert.equal(result.cpf, true);
  if (brcode) assert.equal(typeof result.parsed, "object");
  assert.equal(result.guard.name, "ConnectPSPError");
  assert.equal(result.guard.isSdkError, true);
  assert.match(result.guard.message, /dangerouslyAllowBrowser/);
  assert.equal(result.balance.currency, "BRL");
  assert.match(result.balance.total, /^\d+\.\d{2}$/);
  assert.equal(result.payout.status, "PROCESSING");
  assert.equal(result.payout.amount, "1.50");
  assert.match(result.payout.key, /^[0-9a-f-]{36}$/);
  assert.deepEqual(result.notFound, { isNotFound: true, status: 404 });
  assert.ok(!result.clientJson.includes(sandbox.credentials.clientSecret));
  assert.ok(!result.clientJson.includes(sandbox.credentials.cryptoToken));
});
