// One JS benchmark scenario per invocation; prints one JSON object on stdout.
//
//   node scenario.mjs async --client sdk|fetch|undici [--calls 5000 --concurrency 64]
//   node scenario.mjs rss   [--runs 3 --calls 10000 --concurrency 64]      (the SDK, one client)
//   node scenario.mjs load  [--repeat 21]        (fresh processes: import + first call, median)
//
// Sandbox coordinates from CONNECTPSP_BASE_URL, CONNECTPSP_CLIENT_ID, …; BENCH_RUN_ID keeps the
// external references unique across runs. Run from bench/js so `connectpsp` and `undici`
// resolve from the bench-local node_modules.

import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { FetchClient, UndiciClient } from "./peers.mjs";

const AMOUNT = "1.00";
const DESCRIPTION = "bench payout";
const PAYEE = {
  name: "Maria Silva",
  document: "12345678909",
  destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
};

function sandbox() {
  const env = process.env;
  return {
    baseUrl: env.CONNECTPSP_BASE_URL.replace(/\/$/, ""),
    clientId: env.CONNECTPSP_CLIENT_ID,
    clientSecret: env.CONNECTPSP_CLIENT_SECRET,
    applicationToken: env.CONNECTPSP_APPLICATION_TOKEN,
    cryptoToken: env.CONNECTPSP_CRYPTO_TOKEN,
    runId: env.BENCH_RUN_ID ?? String(Date.now()),
  };
}

const reference = (sb, label, index) => `bench-${sb.runId}-${label}-${index}`;

// `concurrency` workers pull call indexes from one shared counter (the same driver as Python's).
async function pool(call, first, count, concurrency, latencies) {
  let next = first;
  const end = first + count;
  async function worker() {
    while (next < end) {
      const index = next++;
      const started = process.hrtime.bigint();
      await call(index);
      if (latencies) latencies.push(Number(process.hrtime.bigint() - started));
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function percentile(sorted, pct) {
  const rank = Math.max(1, Math.ceil((sorted.length * pct) / 100));
  return sorted[rank - 1];
}

async function measure(call, calls, concurrency, warmup, offset = 0) {
  await pool(call, offset, warmup, concurrency, null);
  const latencies = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  await pool(call, offset + warmup, calls, concurrency, latencies);
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu); // user + system of the whole process (every thread)
  latencies.sort((a, b) => a - b);
  return {
    calls,
    wall_s: Number(wallS.toFixed(4)),
    throughput: Number((calls / wallS).toFixed(1)),
    cpu_us_per_call: Number(((used.user + used.system) / calls).toFixed(1)),
    p50_ms: Number((percentile(latencies, 50) / 1e6).toFixed(3)),
    p99_ms: Number((percentile(latencies, 99) / 1e6).toFixed(3)),
  };
}

async function sdkClient(sb) {
  const { ConnectPSP } = await import("connectpsp");
  const client = new ConnectPSP({
    clientId: sb.clientId,
    clientSecret: sb.clientSecret,
    applicationToken: sb.applicationToken,
    cryptoToken: sb.cryptoToken,
    baseUrl: sb.baseUrl,
    timeoutMs: 30_000,
  });
  return {
    async createCashOut(amount, externalReference, description, payee) {
      const cashOut = await client.cashOut.create({ amount, externalReference, description, payee });
      if (!cashOut.transactionId) throw new Error("the SDK returned a cash-out without transactionId");
      return cashOut;
    },
    async close() {
      await client.close?.();
    },
  };
}

async function makeClient(kind, sb, concurrency) {
  if (kind === "sdk") return sdkClient(sb);
  if (kind === "fetch") return new FetchClient(sb.baseUrl, sb);
  if (kind === "undici") return new UndiciClient(sb.baseUrl, sb, concurrency);
  throw new Error(`unknown client ${kind}`);
}

async function runAsync(opts) {
  const sb = sandbox();
  const concurrency = Number(opts.concurrency);
  const calls = Number(opts.calls ?? 5000);
  const warmup = Number(opts.warmup ?? 2 * concurrency);
  const label = `js-async-${opts.client}`;
  const client = await makeClient(opts.client, sb, concurrency);
  try {
    const call = (index) => client.createCashOut(AMOUNT, reference(sb, label, index), DESCRIPTION, PAYEE);
    return { concurrency, warmup, ...(await measure(call, calls, concurrency, warmup)) };
  } finally {
    await client.close();
  }
}

async function runRss(opts) {
  const sb = sandbox();
  const runs = Number(opts.runs);
  const calls = Number(opts.calls ?? 10000);
  const concurrency = Number(opts.concurrency);
  const client = await sdkClient(sb);
  const rssKib = () => Math.round(process.memoryUsage().rss / 1024);
  const before = rssKib();
  const after = [];
  const throughput = [];
  for (let run = 0; run < runs; run++) {
    const call = (index) => client.createCashOut(AMOUNT, reference(sb, "js-rss", index), DESCRIPTION, PAYEE);
    const measured = await measure(call, calls, concurrency, 0, run * calls);
    globalThis.gc?.();
    after.push(rssKib());
    throughput.push(measured.throughput);
  }
  await client.close();
  return { rss_kib_before: before, rss_kib_after_runs: after, calls_per_run: calls, throughput };
}

function runLoad(opts) {
  const repeat = Number(opts.repeat);
  // In-process time from before the import to after the first call into the wasm.
  const esm =
    "const t=performance.now();const m=await import('connectpsp');m.idempotencyKeyFor('bench');" +
    "console.log(performance.now()-t)";
  const cjs =
    "const t=performance.now();const m=require('connectpsp');m.idempotencyKeyFor('bench');" +
    "console.log(performance.now()-t)";
  const median = (args) => {
    const samples = Array.from({ length: repeat }, () =>
      Number(execFileSync(process.execPath, args, { encoding: "utf8" }).trim()),
    ).sort((a, b) => a - b);
    return Number(samples[Math.floor(samples.length / 2)].toFixed(2));
  };
  return {
    esm_load_ms_median: median(["--input-type=module", "-e", esm]),
    cjs_load_ms_median: median(["-e", cjs]),
    repeat,
  };
}

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    client: { type: "string", default: "sdk" },
    calls: { type: "string" },
    concurrency: { type: "string", default: "64" },
    warmup: { type: "string" },
    runs: { type: "string", default: "3" },
    repeat: { type: "string", default: "21" },
  },
});
const scenario = positionals[0];
let result;
if (scenario === "async") result = await runAsync(opts);
else if (scenario === "rss") result = await runRss(opts);
else if (scenario === "load") result = runLoad(opts);
else throw new Error(`unknown scenario ${scenario}`);
process.stdout.write(`${JSON.stringify({ scenario, client: opts.client, ...result })}\n`);
