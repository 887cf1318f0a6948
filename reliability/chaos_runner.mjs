// The npm package's side of the chaos run: N cash-outs with a bounded number in flight.
// Started by chaos.py, which owns the sandbox, the faults and the assertions. Like
// chaos_runner.py: send each payout once; on an error, `client.resubmit(error)` (same call,
// same idempotency key) until it resolves; never a new key. Prints one JSON summary line and
// writes the reference -> transactionId map to $CHAOS_OUT. Every error with outcomeUnknown
// false is looked up at once in the sandbox (by externalReference): if the sandbox holds the
// payout, the SDK said "definitively failed" about money that moved; those findings go to
// $CHAOS_DEFINITIVE_OUT. A re-submission counts there too, even when every request of its own
// was refused before commit: the payout an earlier call made exists, so the only true answer
// is "outcome unknown" (fine, counted as resubmit_unknowns).
//
// usage: node chaos_runner.mjs --n 2000 --concurrency 64 --run-id js-1 [--max-seconds 900]

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadConnectPSP } from "./load_package.mjs";

const sdk = await loadConnectPSP();
const { ConnectPSP, ConnectPSPError } = sdk;
// Error classes a call may end in under chaos without anything being wrong by itself.
// AuthenticationError: a token that a fault expired, twice in a row (a 401 refusal).
const TRANSIENT = [
  sdk.RateLimitError,
  sdk.ServerError,
  sdk.ConnectionError,
  sdk.TimeoutError,
  sdk.DecodeError,
  sdk.AuthenticationError,
];

const { values: args } = parseArgs({
  options: {
    n: { type: "string" },
    concurrency: { type: "string", default: "64" },
    "run-id": { type: "string" },
    "max-seconds": { type: "string", default: "900" },
  },
});
const n = Number(args.n);
const concurrency = Number(args.concurrency);
const runId = args["run-id"];
const MAX_RESUBMITS = 25;

// The same plan as chaos_plan.py.
const PAYEE = {
  name: "Chaos Payee",
  document: "12345678909",
  destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
};
const referenceFor = (i) => `chaos-${runId}-${i}`;
const amountFor = (i) => {
  const centavos = 100 + ((i * 7919) % 4900);
  return `${Math.floor(centavos / 100)}.${String(centavos % 100).padStart(2, "0")}`;
};

const client = new ConnectPSP({
  clientId: process.env.CHAOS_CLIENT_ID,
  clientSecret: process.env.CHAOS_CLIENT_SECRET,
  applicationToken: process.env.CHAOS_APPLICATION_TOKEN,
  cryptoToken: process.env.CHAOS_CRYPTO_TOKEN,
  baseUrl: process.env.CHAOS_BASE_URL,
  timeoutMs: Math.round(Number(process.env.CHAOS_TIMEOUT ?? "1.0") * 1000),
  maxRetries: Number(process.env.CHAOS_MAX_RETRIES ?? "2"),
});

const counts = {};
const errorClasses = {};
const paid = {};
const unresolved = [];
const add = (name, k = 1) => {
  counts[name] = (counts[name] ?? 0) + k;
};

function recordError(error, resubmission) {
  if (!(error instanceof ConnectPSPError)) throw error; // a plain Error is a bug: crash the run
  add("errors");
  add("attempts", error.attempts);
  const label = error.name + (error.outcomeUnknown ? " (outcome unknown)" : "");
  errorClasses[label] = (errorClasses[label] ?? 0) + 1;
  if (error.outcomeUnknown) add("unknowns");
  if (error.outcomeUnknown && resubmission) add("resubmit_unknowns");
  else if (!TRANSIENT.some((cls) => error instanceof cls)) add("unexpected_errors");
}

const definitiveApplied = [];

const control = async (pathAndQuery) => (await fetch(process.env.CHAOS_BASE_URL + pathAndQuery)).json();
const sandboxHolds = async (reference) =>
  (await control(`/_sandbox/transactions?externalReference=${encodeURIComponent(reference)}`)).transactions.length > 0;
const lastSeq = async () => (await control("/_sandbox/requests?since=18446744073709551615")).lastSeq;

// As judge_definitive in chaos_runner.py: a finding whenever the sandbox holds the payout, with
// whether one of this call's own requests reached the handler (false: a re-submission whose
// every request was refused before commit, of a payout an earlier call made; still a false
// "failed"). `since`: the request-log seq at the start of a re-submission (null for the first call).
async function judge(error, reference, since) {
  if (error.outcomeUnknown) return;
  add("definitive_checked");
  if (!(await sandboxHolds(reference))) return;
  let handled = true;
  if (since !== null && error.idempotencyKey) {
    const query = `since=${since}&idempotencyKey=${encodeURIComponent(error.idempotencyKey)}`;
    // Carried out = a 2xx from the handler (made or replayed); a handler's 4xx did nothing.
    handled = (await control(`/_sandbox/requests?${query}`)).requests.some(
      (r) => r.handlerStatus >= 200 && r.handlerStatus < 300,
    );
  }
  const finding = {
    reference,
    errorClass: error.name,
    status: error.status,
    code: error.code,
    attempts: error.attempts,
    resubmission: since !== null,
    ownRequestsHandled: handled,
  };
  definitiveApplied.push(finding);
}

function recordSuccess(reference, result, resubmitted) {
  add("attempts", result.response.attempts);
  add(resubmitted ? "resolved_by_resubmit" : "ok_first_call");
  paid[reference] = result.transactionId;
}

const started = performance.now();
const stopAt = started + Number(args["max-seconds"]) * 1000;

async function pay(i) {
  const reference = referenceFor(i);
  let last;
  try {
    recordSuccess(reference, await client.cashOut.create({ amount: amountFor(i), externalReference: reference, payee: PAYEE }), false);
    return;
  } catch (error) {
    recordError(error, false);
    await judge(error, reference, null);
    last = error;
  }
  for (let k = 0; k < MAX_RESUBMITS && performance.now() < stopAt; k++) {
    const since = await lastSeq();
    add("resubmits");
    try {
      recordSuccess(reference, await client.resubmit(last), true);
      return;
    } catch (error) {
      recordError(error, true);
      await judge(error, reference, since);
      last = error;
    }
  }
  unresolved.push(reference);
}

let next = 0;
async function worker() {
  while (next < n) await pay(next++);
}
await Promise.all(Array.from({ length: concurrency }, worker));

writeFileSync(process.env.CHAOS_OUT, JSON.stringify(paid));
writeFileSync(
  process.env.CHAOS_DEFINITIVE_OUT,
  JSON.stringify({ applied: definitiveApplied, checked: counts.definitive_checked ?? 0 }),
);
console.log(
  JSON.stringify({
    counts,
    errorClasses,
    unresolved: unresolved.slice(0, 20),
    unresolvedCount: unresolved.length,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  }),
);
