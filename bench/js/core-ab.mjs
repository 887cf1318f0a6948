// The wasm core's CPU per payout of two (or more) builds of the npm package, in one process:
// the very calls of `node scenario.mjs core` (runCore), against each package in turn, in batches
// of BATCH payouts (default 1,000) alternated ROUNDS times (default 40), the order rotated each
// round; prints each build's median batch (wall and process CPU per payout). On a shared
// machine the load drifts between two separate `scenario.mjs core` runs by more than a change
// is worth; batches a few ms apart see the same load, so their ratio is the steadier reading.
//
//   node core-ab.mjs <dir with node_modules/connectpsp> <another such dir> [...]
//
// (e.g. copies of bench/js, each with its own `npm install --no-save <tgz>`).
import { webcrypto } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
const dirs = process.argv.slice(2);
const DESCRIPTION = "bench payout";
const PAYEE = { name: "Maria Silva", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } };
const enc = new TextEncoder();
const token = enc.encode(JSON.stringify({ accessToken: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln", tokenType: "Bearer", expiresIn: 3600 }));
const answer = (ref) => enc.encode(JSON.stringify({ transactionId: "5f0c7c1e-8f7a-4f5e-9f5e-0a6f1c2b3d4e", internalCode: "CO-2026-000001", externalReference: ref, status: "PROCESSING", amount: 1.0, description: DESCRIPTION, payee: PAYEE, requestedAt: "2026-12-01T22:00:00Z" }));
const rh = ["content-type", "application/json", "x-request-id", "req-1", "date", "Tue, 01 Dec 2026 22:00:00 GMT"].join("\n");
const jh = "content-type\napplication/json";
const bodies = Array.from({ length: 256 }, (_, i) => answer(`core-${i}`));
function variant(dir) {
  const require = createRequire(join(dir, "x.js"));
  const pkgDir = dirname(require.resolve("connectpsp/package.json"));
  const core = require(join(pkgDir, "wasm", "connectpsp_wasm.cjs"));
  const { parseStep } = require(join(pkgDir, "cjs", "index.js"));
  const session = new core.WasmSession(JSON.stringify({ clientId: "bench-client", clientSecret: "bench-secret", applicationToken: "bench-app-token", cryptoToken: "bench-crypto-token", baseUrl: "http://127.0.0.1:9", binding: "js", bindingVersion: "0.0.0" }));
  const pool = new Uint8Array(4096); let poolAt = pool.length; const now = Date.now();
  return (index) => {
    if (poolAt + 32 > pool.length) { webcrypto.getRandomValues(pool); poolAt = 0; }
    const entropy = pool.subarray(poolAt, (poolAt += 32));
    const params = JSON.stringify({ amount: "1.00", externalReference: `core-${index}`, description: DESCRIPTION, payee: PAYEE });
    const op = new core.WasmOperation(session, "cashOut.create", params, entropy, now);
    let step = parseStep(op.next(now));
    if (step.purpose === "token") step = parseStep(op.respond(200, jh, token, now, false));
    if (step.type !== "send" || step.body.length === 0) throw new Error(`expected a send, got ${step.type}`);
    const done = parseStep(op.respond(202, rh, bodies[index % 256], now, false));
    if (!done.ok) throw new Error(done.json);
    op.free();
    return done;
  };
}
const vs = dirs.map(variant);
for (const v of vs) for (let i = 0; i < 3000; i++) v(i);
const rounds = Number(process.env.ROUNDS ?? 40), batch = Number(process.env.BATCH ?? 1000);
const wall = vs.map(() => []), cpu = vs.map(() => []);
let idx = 0;
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < vs.length; k++) {
    const j = (r + k) % vs.length; // rotate order
    const c0 = process.cpuUsage(); const t0 = performance.now();
    for (let i = 0; i < batch; i++) vs[j](idx++);
    const t = (performance.now() - t0) * 1000 / batch; const c = process.cpuUsage(c0);
    wall[j].push(t); cpu[j].push((c.user + c.system) / batch);
  }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length * p)]; };
dirs.forEach((d, j) => console.log(`${d}: wall median ${med(wall[j]).toFixed(2)} (p25 ${q(wall[j], 0.25).toFixed(2)}) cpu median ${med(cpu[j]).toFixed(2)} us/payout`));
