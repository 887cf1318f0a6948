// One JS benchmark scenario per invocation; prints one JSON object on stdout.
//
//   node scenario.mjs async --client sdk|fetch|undici|http [--calls 5000 --concurrency 64]
//   node scenario.mjs rss   [--runs 3 --calls 10000 --concurrency 64]      (the SDK, one client)
//   node scenario.mjs load  [--repeat 21]        (fresh processes: import + first call, median)
//   node scenario.mjs core  [--calls 20000]      (no network: the wasm core's own CPU per payout)
//
// Sandbox coordinates from CONNECTPSP_BASE_URL, CONNECTPSP_CLIENT_ID, …; BENCH_RUN_ID keeps the
// external references unique across runs. Run from bench/js so `connectpsp` and `undici`
// resolve from the bench-local node_modules.

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { FetchClient, HttpClient, UndiciClient } from "./peers.mjs";

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
  if (kind === "http") return new HttpClient(sb.baseUrl, sb, concurrency);
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
  // In-process time from before the import to after the first call into the wasm: wall, and the
  // CPU (user + system, every thread: V8 compiles wasm in the background) of the same span,
  // which a busy machine inflates far less than the wall time.
  const span = "const t=performance.now(),c=process.cpuUsage();";
  const report = "const u=process.cpuUsage(c);console.log(performance.now()-t,(u.user+u.system)/1000)";
  const esm = `${span}const m=await import('connectpsp');m.idempotencyKeyFor('bench');${report}`;
  const cjs = `${span}const m=require('connectpsp');m.idempotencyKeyFor('bench');${report}`;
  const medians = (args) => {
    const samples = Array.from({ length: repeat }, () =>
      execFileSync(process.execPath, args, { encoding: "utf8" }).trim().split(" ").map(Number),
    );
    const median = (index) => {
      const sorted = samples.map((sample) => sample[index]).sort((a, b) => a - b);
      return Number(sorted[Math.floor(sorted.length / 2)].toFixed(2));
    };
    return [median(0), median(1)];
  };
  const [esmWall, esmCpu] = medians(["--input-type=module", "-e", esm]);
  const [cjsWall, cjsCpu] = medians(["-e", cjs]);
  return {
    esm_load_ms_median: esmWall,
    cjs_load_ms_median: cjsWall,
    esm_load_cpu_ms_median: esmCpu,
    cjs_load_cpu_ms_median: cjsCpu,
    repeat,
  };
}

// The wasm core's own work per payout, no network: params to JSON, new operation (parse,
// validate, serialise, key), next (build and sign the request; the step's text crossing into JS,
// read by parseStep), respond (the answer crossing into wasm, parsed and typed, and the outcome's
// text crossing back, its JSON parsed), free: exactly the calls the SDK's driver makes. The
// token exchange happens once, before the measurement.
function runCore(opts) {
  const calls = Number(opts.calls ?? 20000);
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve("connectpsp/package.json"));
  const core = require(join(pkgDir, "wasm", "connectpsp_wasm.cjs"));
  const { webcrypto } = require("node:crypto");
  const session = new core.WasmSession(
    JSON.stringify({
      clientId: "bench-client",
      clientSecret: "bench-secret",
      applicationToken: "bench-app-token",
      cryptoToken: "bench-crypto-token",
      baseUrl: "http://127.0.0.1:9",
      binding: "js",
      bindingVersion: "0.0.0",
    }),
  );
  const encoder = new TextEncoder();
  const token = encoder.encode(
    JSON.stringify({ accessToken: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln", tokenType: "Bearer", expiresIn: 3600 }),
  );
  const jsonHeaders = ["content-type", "application/json"];
  const answer = (ref) =>
    encoder.encode(
      JSON.stringify({
        transactionId: "5f0c7c1e-8f7a-4f5e-9f5e-0a6f1c2b3d4e",
        internalCode: "CO-2026-000001",
        externalReference: ref,
        status: "PROCESSING",
        amount: 1.0,
        description: DESCRIPTION,
        payee: PAYEE,
        requestedAt: "2026-12-01T22:00:00Z",
      }),
    );
  const replyHeaders = ["content-type", "application/json", "x-request-id", "req-1", "date", "Tue, 01 Dec 2026 22:00:00 GMT"];
  let now = Date.now();
  const replyHeaderText = replyHeaders.join("\n");
  const jsonHeaderText = jsonHeaders.join("\n");
  // Random bytes as the SDK draws them: a 4 KiB pool, 32 bytes per call.
  const pool = new Uint8Array(4096);
  let poolAt = pool.length;
  // The SDK's own step decoder (from the bundled layer, entries/layer.mjs): the text crossing is
  // measured with the JS work that reads it.
  const { parseStep } = require(join(pkgDir, "cjs", "index.js"));
  const one = (index, body) => {
    if (poolAt + 32 > pool.length) {
      webcrypto.getRandomValues(pool);
      poolAt = 0;
    }
    const entropy = pool.subarray(poolAt, (poolAt += 32));
    const params = JSON.stringify({ amount: AMOUNT, externalReference: `core-${index}`, description: DESCRIPTION, payee: PAYEE });
    const op = new core.WasmOperation(session, "cashOut.create", params, entropy, now);
    let step = parseStep(op.next(now));
    if (step.purpose === "token") step = parseStep(op.respond(200, jsonHeaderText, token, now, false));
    if (step.type !== "send" || step.body.length === 0) throw new Error(`expected a send, got ${step.type}`);
    const done = parseStep(op.respond(202, replyHeaderText, body, now, false));
    if (!done.ok) throw new Error(done.json);
    op.free();
    return done;
  };
  // The answers are encoded before the clock starts: the transport hands bytes to the core.
  const bodies = Array.from({ length: 256 }, (_, i) => answer(`core-${i}`));
  for (let i = 0; i < 2000; i++) one(i, bodies[i % 256]);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    if ((i & 1023) === 0) now = Date.now();
    one(i, bodies[i % 256]);
  }
  const wallUs = (performance.now() - started) * 1000;
  const used = process.cpuUsage(cpu);
  session.free();
  return {
    calls,
    wall_us_per_call: Number((wallUs / calls).toFixed(2)),
    cpu_us_per_call: Number(((used.user + used.system) / calls).toFixed(2)),
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
else if (scenario === "core") result = runCore(opts);
else throw new Error(`unknown scenario ${scenario}`);
process.stdout.write(`${JSON.stringify({ scenario, client: opts.client, ...result })}\n`);
