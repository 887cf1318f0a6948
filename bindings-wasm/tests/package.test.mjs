// The package as users get it: `npm pack`, `npm install <tgz>` into a fresh folder, then the
// quickstart through `require` and through `import` against the sandbox; and the shape of the
// package itself (exports, no install scripts, one module instance for require and import).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { cjs, esm, PKG, startSandbox } from "./helpers.mjs";

const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));

test("require and import expose the same API, from one module instance", () => {
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
  for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
  // The error classes are the core's list (facts::ERROR_CLASSES), exported under those names.
  const { facts } = createRequire(import.meta.url)(join(PKG, "cjs", "index.js"));
  const errorClasses = facts().ERROR_CLASSES;
  assert.ok(errorClasses.length > 10 && errorClasses.includes("ConnectPSPError"));
  for (const name of [...errorClasses, "ConnectPSP", "pix", "webhooks", "idempotencyKeyFor", "InMemoryTokenStore"]) {
    assert.ok(name in cjs, name);
  }
  const exportedErrors = Object.keys(cjs).filter((n) => n.endsWith("Error") && n !== "AbortError");
  assert.deepEqual(exportedErrors.sort(), [...errorClasses].sort());
  for (const name of Object.keys(cjs).filter((n) => n.endsWith("Error"))) {
    assert.ok(new cjs[name]("m") instanceof Error, name);
    assert.ok(new cjs[name]("m") instanceof cjs.ConnectPSPError, name);
    // `name` comes from the class (new.target.name): a bundler renaming a class would change it.
    assert.equal(new cjs[name]("m").name, name);
  }
  assert.equal(cjs.ConnectPSP.name, "ConnectPSP");
  // The interop marker of tsc's CommonJS output (a default import through TypeScript or a
  // bundler reads it), non-enumerable as it was.
  assert.deepEqual(Object.getOwnPropertyDescriptor(cjs, "__esModule"), {
    value: true,
    writable: false,
    enumerable: false,
    configurable: false,
  });
});

test("require() loads three files of the package: node.cjs, the bundled layer, the wasm glue", () => {
  // Each module costs Node a resolution, a read and a compile (issue 12: load time), so the
  // TypeScript layer ships bundled (tools/assemble.mjs); undici is loaded by a client's first
  // call, WebCrypto by the first random bytes (the test below).
  const probe = `
    const m = require(${JSON.stringify(join(PKG, "node.cjs"))});
    m.idempotencyKeyFor("order-1");
    console.log(JSON.stringify(Object.keys(require.cache)));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ["-e", probe], { encoding: "utf8" }));
  const ours = loaded.filter((f) => f.startsWith(PKG)).map((f) => f.slice(PKG.length + 1)).sort();
  assert.deepEqual(ours, ["cjs/index.js", "node.cjs", "wasm/connectpsp_wasm.cjs"]);
  assert.deepEqual(loaded.filter((f) => !f.startsWith(PKG)), []);
});

test("loading the package reads no WebCrypto: the first random bytes (a client's call) do", () => {
  // The first read of globalThis.crypto loads Node's WebCrypto (milliseconds): only a call that
  // needs entropy (an idempotency key, retry jitter) pays for it.
  const probe = `
    let reads = 0;
    const real = globalThis.crypto;
    Object.defineProperty(globalThis, "crypto", { configurable: true, get() { reads++; return real; } });
    const m = require(${JSON.stringify(join(PKG, "node.cjs"))});
    m.idempotencyKeyFor("order-1");
    m.pix.isValidCpf("12345678909");
    const atLoad = reads;
    const client = new m.ConnectPSP({ clientId: "a", clientSecret: "b", applicationToken: "c", cryptoToken: "d",
      baseUrl: "http://127.0.0.1:9", maxRetries: 0, fetch: async () => { throw new TypeError("offline"); } });
    client.cashOut.create({ amount: "1.00", externalReference: "r", payee: { name: "M", document: "12345678909",
      destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } } })
      .catch((e) => { console.log(JSON.stringify({ atLoad, afterCall: reads, key: e.idempotencyKey ?? null })); });`;
  const out = JSON.parse(execFileSync(process.execPath, ["-e", probe], { encoding: "utf8" }));
  assert.equal(out.atLoad, 0);
  assert.ok(out.afterCall > 0);
  assert.match(out.key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
});

test("the manifest: version in sync, no install scripts, every runtime mapped", () => {
  assert.equal(cjs.VERSION, manifest.version);
  assert.equal(manifest.scripts, undefined);
  assert.equal(manifest.devDependencies, undefined);
  // One dependency: undici, the Node transport (loaded only by the Node entry).
  assert.deepEqual(Object.keys(manifest.dependencies ?? {}), ["undici"]);
  const root = manifest.exports["."];
  assert.equal(root.types, "./index.d.ts");
  assert.equal(root.node.require, "./node.cjs");
  assert.equal(root.node.import, "./node.mjs");
  assert.equal(root.browser, "./web.mjs");
  assert.equal(root.default, "./web.mjs");
});

test("the browser/edge entry points import no Node built-in", () => {
  for (const file of ["web.mjs", "edge.mjs", "wasm/connectpsp_wasm.js"]) {
    const text = readFileSync(join(PKG, file), "utf8");
    assert.doesNotMatch(text, /from\s+["'](node:|fs|path|crypto|util|http)/, file);
    assert.doesNotMatch(text, /require\(/, file);
    assert.doesNotMatch(text, /["']undici["']/, file);
  }
  // Bundled: each entry is one module whose only imports are the wasm-bindgen glue and the
  // .wasm (a browser or Deno fetches no per-module file of the layer).
  for (const file of ["web.mjs", "edge.mjs"]) {
    const text = readFileSync(join(PKG, file), "utf8");
    const imports = [...text.matchAll(/^import\b[^"']*["']([^"']+)["']/gm)].map((m) => m[1]);
    assert.ok(imports.length > 0 && imports.every((p) => p.startsWith("./wasm/")), `${file}: ${imports}`);
    assert.doesNotMatch(text, /\bimport\s*\(/, file);
  }
});

let sandbox;
let work;

before(async () => {
  sandbox = await startSandbox();
  work = mkdtempSync(join(tmpdir(), "connectpsp-npm-"));
});

after(() => {
  sandbox?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("npm pack + npm install into a fresh folder: the quickstart runs from CommonJS and ESM", () => {
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: PKG, encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1);
  assert.equal(packed, `connectpsp-${manifest.version}.tgz`);
  const app = join(work, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", "--silent", join(work, packed)], { cwd: app });

  const quickstart = (load) => `
${load}
const client = new ConnectPSP({ ...JSON.parse(process.env.OPTIONS) });
(async () => {
  const ci = await client.cashIn.create({ amount: "150.50", externalReference: "qs-" + process.pid + "-" + Date.now(),
    payer: { name: "João Silva", document: "12345678909" } });
  const again = await client.cashIn.get(ci.transactionId);
  let missing;
  try { await client.cashIn.get("nope"); } catch (e) { missing = e instanceof ConnectPSPError && e.name; }
  console.log(JSON.stringify({ amount: again.amount, status: again.status, code: pix.parseBrCode(ci.pixData.copyAndPaste).amount, missing }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
`;
  writeFileSync(join(app, "quickstart.cjs"), quickstart('const { ConnectPSP, ConnectPSPError, pix } = require("connectpsp");'));
  writeFileSync(join(app, "quickstart.mjs"), quickstart('import { ConnectPSP, ConnectPSPError, pix } from "connectpsp";'));
  for (const file of ["quickstart.cjs", "quickstart.mjs"]) {
    const run = spawnSync(process.execPath, [file], {
      cwd: app,
      encoding: "utf8",
      env: { ...process.env, OPTIONS: JSON.stringify(sandbox.options()) },
    });
    assert.equal(run.status, 0, `${file}: ${run.stderr}`);
    assert.deepEqual(JSON.parse(run.stdout), { amount: "150.50", status: "AWAITING_PAYMENT", code: "150.50", missing: "NotFoundError" }, file);
  }
});
