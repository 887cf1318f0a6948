// The ConnectPSP money flow, told step by step (JavaScript, Node 18+).
//
//   demo/with-sandbox.sh node demo/demo.mjs      # or `make demo`, which runs demo.py and this
//
// Reads CONNECTPSP_BASE_URL and the credentials (CONNECTPSP_CLIENT_ID, CONNECTPSP_CLIENT_SECRET,
// CONNECTPSP_APPLICATION_TOKEN, CONNECTPSP_CRYPTO_TOKEN) from the environment. The payer paying
// and the sandbox's control API are the only parts that would not exist in production.
//
// Amounts are exact decimal strings in and out of the SDK ("150.50"); the arithmetic below is done
// in integer centavos (BigInt), never in binary floating point.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { ConnectPSP, ConnectPSPError, WebhookSignatureError, pix } from "connectpsp";
import qrcode from "qrcode-terminal";

// --- the terminal ----------------------------------------------------------------------------

const TTY = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const TOTAL_STEPS = 11;
const paint = (code, text) => (TTY ? `\x1b[${code}m${text}\x1b[0m` : text);

/** "150.50" → 15050n. Exact: the decimal text is read digit by digit. */
function centavos(amount) {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount));
  if (!match) throw new Error(`not an amount: ${amount}`);
  const value = BigInt(match[2]) * 100n + BigInt((match[3] ?? "").padEnd(2, "0"));
  return match[1] ? -value : value;
}

/** 15050n → "R$ 150,50", Brazilian grouping. */
function brl(cents) {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  const frac = (abs % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}R$ ${whole},${frac}`;
}
const signed = (cents) => (cents >= 0n ? `+${brl(cents)}` : brl(cents));

let stepNumber = 0;
function step(title, detail = "") {
  stepNumber += 1;
  const num = paint("2", `${String(stepNumber).padStart(2)}/${TOTAL_STEPS}`);
  console.log(`${paint("32", "✔")} ${num} ${paint("1", title)}${detail ? `  ${paint("2", detail)}` : ""}`);
}
const note = (text) => console.log(`         ${text}`);

/** Resolves with what `done()` returns once it is not undefined; spins on a TTY meanwhile. */
async function wait(what, done, timeoutMs = 30_000) {
  const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
  const start = Date.now();
  for (let i = 0; ; i++) {
    const result = done();
    if (result !== undefined) {
      if (TTY) process.stdout.write("\r\x1b[2K");
      return result;
    }
    const elapsed = Date.now() - start;
    if (elapsed > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    if (TTY) {
      process.stdout.write(`\r${paint("36", frames[i % frames.length])}      waiting for ${what}… ${(elapsed / 1000).toFixed(1)}s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 80));
  }
}

// --- the webhook receiver: node:http, verifying the raw bytes --------------------------------

/**
 * Receives ConnectPSP webhooks on 127.0.0.1. The signature covers the exact body bytes, so the body
 * is collected as a Buffer and handed to the SDK before anything parses it; a body that fails
 * verification is answered 400 and never reaches the application.
 */
async function startReceiver(client) {
  const seen = new Map();
  const receiver = { rejected: 0, seen };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      let event;
      try {
        event = client.webhooks.constructEvent(raw, req.headers);
      } catch (error) {
        if (!(error instanceof WebhookSignatureError)) throw error;
        receiver.rejected += 1;
        res.writeHead(400).end();
        return;
      }
      // Retried deliveries carry a new X-Event-Id: dedupe on type and transaction.
      const key = `${event.eventType}:${event.data.transactionId}`;
      if (!seen.has(key)) seen.set(key, event);
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${server.address().port}/webhooks/connectpsp`;
  receiver.poll = (eventType, transactionId) => seen.get(`${eventType}:${transactionId}`);
  receiver.close = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections(); // the sandbox keeps its webhook connections alive
    });
  return receiver;
}

// --- the sandbox's control API (the payer's side; not part of the SDK) -----------------------

async function sandboxControl(baseUrl, path, body = {}) {
  const response = await fetch(`${baseUrl}/_sandbox/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sandbox control ${path}: HTTP ${response.status}`);
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

/** The copia-e-cola as a terminal QR code (half-block characters): scan it with a bank app. */
const renderQr = (text) => new Promise((resolve) => qrcode.generate(text, { small: true }, resolve));

// --- the story ---------------------------------------------------------------------------------

async function main() {
  const env = process.env;
  const baseUrl = env.CONNECTPSP_BASE_URL;
  const client = new ConnectPSP({
    clientId: env.CONNECTPSP_CLIENT_ID,
    clientSecret: env.CONNECTPSP_CLIENT_SECRET,
    applicationToken: env.CONNECTPSP_APPLICATION_TOKEN,
    cryptoToken: env.CONNECTPSP_CRYPTO_TOKEN,
    baseUrl,
  });
  const receiver = await startReceiver(client);
  const run = randomUUID().slice(0, 8); // external references are unique per application
  console.log(paint("1", `ConnectPSP demo (JavaScript) against ${baseUrl}`));
  try {
    // 1. The first call exchanges the credentials for a JWT; the client caches and refreshes it.
    const opening = await client.account.balance();
    const openingTotal = centavos(opening.consolidated.totalBalance);
    step(
      "Authenticated",
      `client ${env.CONNECTPSP_CLIENT_ID} · opening balance ${brl(openingTotal)}` +
        ` (${brl(centavos(opening.consolidated.transactionalBalance))} transactional)`,
    );

    // 2. A PIX charge: the payer gets a copia-e-cola string and a QR code.
    const cashInAmount = "150.50";
    const cashIn = await client.cashIn.create({
      amount: cashInAmount,
      externalReference: `demo-${run}-order-1`,
      payer: { name: "João Silva", document: "12345678909" },
      webhookUrl: receiver.url,
      expirationInMinutes: 60,
    });
    const copyAndPaste = cashIn.pixData.copyAndPaste;
    step(
      `Cash-in created: ${brl(centavos(cashIn.amount))}`,
      `${cashIn.transactionId} · ${cashIn.status} · idempotency key ${cashIn.response.idempotencyKey}`,
    );
    note(`copia-e-cola: ${copyAndPaste}`);
    const brcode = pix.parseBrCode(copyAndPaste);
    note(`decoded offline by the PIX toolkit: amount ${brcode.amount}, CRC valid`);
    for (const line of (await renderQr(copyAndPaste)).trimEnd().split("\n")) note(line);

    // 3. The payer pays from their bank app; the sandbox's control API plays that part.
    await sandboxControl(baseUrl, `cash-in/${cashIn.transactionId}/pay`);
    step("The payer paid the PIX", "sandbox control: POST /_sandbox/cash-in/{id}/pay");

    // 4. ConnectPSP tells us by webhook; the receiver verified the signature on the raw bytes.
    const paid = await wait("CASHIN_PAID", () => receiver.poll("CASHIN_PAID", cashIn.transactionId));
    step("Webhook CASHIN_PAID received, signature verified", `${paid.data.status} · endToEndId ${paid.data.endToEndId}`);

    // 5. The money is in.
    const afterCashIn = await client.account.balance();
    step(
      `Balance ${brl(centavos(afterCashIn.consolidated.totalBalance))}`,
      `${signed(centavos(afterCashIn.consolidated.totalBalance) - openingTotal)} since the start`,
    );

    // 6-7. A payout to a PIX key: accepted now (202 PROCESSING), settled later.
    const payoutAmount = "50.00";
    const payout = await client.cashOut.create({
      amount: payoutAmount,
      externalReference: `demo-${run}-withdrawal-1`,
      description: "Demo withdrawal",
      webhookUrl: receiver.url,
      payee: {
        name: "Maria Silva",
        document: "12345678909",
        destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
      },
    });
    step(`Cash-out of ${brl(centavos(payout.amount))} to a CPF key`, `${payout.transactionId} · ${payout.status}`);
    const completed = await wait("CASHOUT_COMPLETED", () => receiver.poll("CASHOUT_COMPLETED", payout.transactionId));
    step("Webhook CASHOUT_COMPLETED received", `endToEndId ${completed.data.endToEndId}`);

    // 8. A payout to the sandbox's magic key that never resolves: it fails asynchronously.
    const failing = await client.cashOut.create({
      amount: "25.00",
      externalReference: `demo-${run}-withdrawal-2`,
      description: "Demo withdrawal to an unknown key",
      webhookUrl: receiver.url,
      payee: {
        name: "Nobody",
        document: "12345678909",
        destination: { type: "PIX", pixKeyType: "EMAIL", pixKey: "fail@sandbox.connectpsp.com" },
      },
    });
    const failed = await wait("CASHOUT_FAILED", () => receiver.poll("CASHOUT_FAILED", failing.transactionId));
    step(
      `Cash-out of ${brl(centavos(failing.amount))} to an unknown key failed`,
      `CASHOUT_FAILED · ${failed.data.failure.code}: ${failed.data.failure.message} · nothing left the account`,
    );

    // 9. The customer asks for their money back: a full PIX devolution of the cash-in.
    const refund = await client.cashIn.refund(cashIn.transactionId, {
      reason: "CUSTOMER_REQUEST",
      description: "demo: customer asked",
    });
    step(`Cash-in refunded: ${brl(centavos(refund.amount))}`, `${refund.status} · devolution endToEndId ${refund.endToEndId}`);

    // 10. Top the transactional account back up to where it started, from the proprietary one.
    const beforeRebalance = await client.account.balance();
    const target = opening.consolidated.transactionalBalance;
    const result = await client.account.rebalance({ targetAmount: target });
    const after = await client.account.balance();
    const moved =
      centavos(after.consolidated.transactionalBalance) - centavos(beforeRebalance.consolidated.transactionalBalance);
    step(`Rebalanced transactional to ${brl(centavos(target))}`, `${signed(moved)} from proprietary · ${result.message}`);

    // 11. Reconciliation: the total moved by exactly the sum of the flows.
    const flows = centavos(cashInAmount) - centavos(payoutAmount) - centavos(refund.amount); // the failed payout moved nothing
    const delta = centavos(after.consolidated.totalBalance) - openingTotal;
    const line =
      `${signed(centavos(cashInAmount))} cash-in ${signed(-centavos(payoutAmount))} payout ` +
      `${signed(-centavos(refund.amount))} refund = ${signed(flows)} · balance moved ${signed(delta)}`;
    if (delta !== flows) {
      console.log(paint("31", `✘ reconciliation FAILED: ${line}`));
      return 1;
    }
    step("Reconciled to the centavo", line);
    console.log(paint("32", "demo (JavaScript): OK"));
    return 0;
  } catch (error) {
    if (!(error instanceof ConnectPSPError)) throw error;
    console.log(paint("31", `✘ ${error.name}: ${error.message}`));
    return 1;
  } finally {
    await receiver.close();
  }
}

process.exitCode = await main();
