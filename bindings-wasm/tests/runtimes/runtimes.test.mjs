// The npm package in the real runtimes, not emulated in Node: Bun, Deno and Cloudflare's workerd
// (their binaries from the npm registry, see package.json beside this file) and a module Web
// Worker in Debian's headless Chromium each run flow.mjs against a private sandbox, loading the
// package through the export condition of that runtime. Run by `make test-runtimes`
// (mk/runtimes.mk).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { PKG, ROOT, launchChromium, serveStatic, startSandbox, vector } from "../helpers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CONNECTPSP_RUNTIMES_BIN ?? join(ROOT, "bindings-wasm", "node_modules", ".bin");
const WASM = join(PKG, "wasm", "connectpsp_wasm_bg.wasm");

const { cryptoToken, cases } = vector("webhooks.json");
const okHook = cases.find((c) => c.expect === "ok" && c.body.includes('"PAID"'));

/** What flow.mjs must return in every runtime (`runtime` and `entry` are checked per runtime). */
const EXPECTED = {
  validation: { name: "ValidationError", isSdkError: true, isError: true, field: "amount", status: null, isValidationError: true },
  requestsSentByBadInput: 0,
  cashIn: { status: "AWAITING_PAYMENT", amount: "150.50", httpStatus: 201, brCodeAmount: "150.50" },
  paid: { status: "PAID", amount: "150.50", sameTransaction: true, endToEndIdFromPix: true },
  cashOut: { status: "PROCESSING", amount: "50.25", httpStatus: 202, idempotencyKeyShape: true },
  cashOutRead: { status: "PROCESSING", amount: "50.25" },
  balance: { currency: "BRL", transactional: "1234.56", type: "string" },
  deliveredWebhook: { eventType: "CASHIN_PAID", sameTransaction: true, amount: "150.50" },
  webhook: { eventType: okHook.eventType },
  tamperedWebhook: { name: "WebhookSignatureError", isSdkError: true, isError: true, field: null, status: null },
  notFound: { name: "NotFoundError", isSdkError: true, isError: true, field: null, status: 404, isNotFoundError: true },
};

let app;
before(() => {
  // A scratch app: node_modules/connectpsp is the built package, so each runtime resolves the
  // package by name through its own export conditions, as a user's project would.
  app = mkdtempSync(join(tmpdir(), "connectpsp-runtimes-"));
  mkdirSync(join(app, "node_modules"));
  symlinkSync(PKG, join(app, "node_modules", "connectpsp"), "dir");
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  for (const file of ["flow.mjs", "main.mjs", "worker.mjs", "web-worker.mjs"]) copyFileSync(join(here, file), join(app, file));
});
after(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Runs `command args` in the app folder; resolves with its stdout, rejects with its stderr. */
function run(command, args, { env = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: app, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      // The flow's input (sandbox credentials) is left out of the message.
      const shown = args.map((a) => (a.startsWith("{") ? "<input>" : a)).join(" ");
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${shown} exited with ${code ?? signal}\n${stderr}\n${stdout}`));
    });
  });
}

function lastJsonLine(stdout) {
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

function assertFlow(result, runtimePrefix) {
  const { runtime, entry, ...rest } = result;
  assert.ok(runtime.startsWith(runtimePrefix), `ran in ${runtime}, not ${runtimePrefix}`);
  if (process.env.CONNECTPSP_RUNTIMES_DEBUG) console.error(JSON.stringify(result));
  assert.deepEqual(rest, EXPECTED);
  return entry;
}

/** A sandbox per runtime, so the runs may overlap without sharing balances. */
async function withSandbox(body) {
  const sandbox = await startSandbox();
  try {
    return await body(sandbox);
  } finally {
    sandbox.stop();
  }
}

const flowInput = (sandbox) => JSON.stringify({ options: sandbox.options(), webhook: { cryptoToken, ...okHook } });

describe("the package in real runtimes", { concurrency: true }, () => {
  test("bun: the `bun` condition loads node.mjs (one instance with require) and the flow passes", () =>
    withSandbox(async (sandbox) => {
      const out = await run(join(BIN, "bun"), ["main.mjs", flowInput(sandbox), "node.mjs"]);
      const entry = assertFlow(lastJsonLine(out), "bun ");
      assert.deepEqual(entry, { resolved: "node.mjs", sameInstanceAsIntended: true, requireSameInstance: true });
    }));

  test("deno: the `deno` condition loads web.mjs, with only loopback net and the .wasm readable", () =>
    withSandbox(async (sandbox) => {
      const port = new URL(sandbox.url).port;
      const out = await run(
        join(BIN, "deno"),
        [
          "run",
          "--no-prompt",
          "--no-remote",
          "--node-modules-dir=manual",
          `--allow-net=127.0.0.1:${port}`,
          `--allow-read=${WASM}`,
          "main.mjs",
          flowInput(sandbox),
          "web.mjs",
        ],
        { env: { DENO_DIR: join(process.env.CACHE ?? tmpdir(), "deno"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } },
      );
      const entry = assertFlow(lastJsonLine(out), "deno ");
      assert.deepEqual(entry, { resolved: "web.mjs", sameInstanceAsIntended: true });
    }));

  test("workerd: a worker serving a request runs the flow through edge.mjs, the .wasm bound as a module", () =>
    withSandbox(async (sandbox) => {
      const result = await runWorkerd(flowInput(sandbox));
      assertFlow(result, "workerd");
    }));

  test("web worker: a module Worker in Chromium loads web.mjs through the `worker` condition and the flow passes", () =>
    withSandbox(async (sandbox) => {
      const entry = selectExport(WEB_WORKER).replace(/^\.\//, "");
      assert.equal(entry, "web.mjs");
      const result = await runWebWorker(entry, { ...JSON.parse(flowInput(sandbox)), options: sandbox.options({ dangerouslyAllowBrowser: true }) });
      const facts = assertFlow(result, "web worker ");
      assert.match(result.runtime, /Chrome\//);
      // The browser guard holds in a worker too: no client without dangerouslyAllowBrowser.
      assert.deepEqual(facts, { guard: { name: "ConnectPSPError", code: "BROWSER_NOT_ALLOWED", isSdkError: true }, allowed: true });
    }));
});

/** The file `exports["."]` gives a resolver whose active conditions are `conditions`: at each
 * level, the first key in the manifest's order that is active (Node's and bundlers' rule). */
function selectExport(conditions, target = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8")).exports["."]) {
  if (typeof target === "string") return target;
  const key = Object.keys(target).find((k) => conditions.includes(k));
  return key === undefined ? undefined : selectExport(conditions, target[key]);
}

// The conditions each tool sets (a runtime also tries "import" or "require", then "default").
const WRANGLER = ["workerd", "worker", "browser", "import", "default"];
const WEB_WORKER = ["worker", "browser", "import", "default"]; // e.g. webpack's webworker target

test("export conditions: each runtime and bundler selects its intended entry", () => {
  const cases = {
    "./edge.mjs": [WRANGLER, ["edge-light", "worker", "browser", "import", "default"]],
    "./web.mjs": [
      ["deno", "node", "import", "default"],
      WEB_WORKER,
      ["browser", "import", "default"],
      ["import", "default"],
    ],
    "./node.mjs": [["bun", "node", "import", "default"], ["node", "import", "default"]],
    "./node.cjs": [["bun", "node", "require", "default"], ["node", "require", "default"]],
  };
  for (const [entry, conditionSets] of Object.entries(cases)) {
    for (const conditions of conditionSets) assert.equal(selectExport(conditions), entry, conditions.join(","));
  }
});

/** workerd on 127.0.0.1 (port 0, learnt from --control-fd) with the package's files as modules
 * and a global fetch that reaches only 127.0.0.0/8; one POST runs the flow. */
async function runWorkerd(input) {
  const modules = [
    `(name = "worker.mjs", esModule = embed "worker.mjs")`,
    `(name = "flow.mjs", esModule = embed "flow.mjs")`,
    // The package under its name: its relative imports resolve from here (wasm/…); the layer
    // is bundled into the entry.
    `(name = "connectpsp", esModule = embed "node_modules/connectpsp/${selectExport(WRANGLER).replace(/^\.\//, "")}")`,
    `(name = "wasm/connectpsp_wasm.js", esModule = embed "node_modules/connectpsp/wasm/connectpsp_wasm.js")`,
    // What wrangler does with `import m from "x.wasm"`: a module whose default export is the
    // compiled WebAssembly.Module (workerd refuses to compile wasm from bytes at run time).
    `(name = "wasm/connectpsp_wasm_bg.wasm", wasm = embed "node_modules/connectpsp/wasm/connectpsp_wasm_bg.wasm")`,
  ];
  writeFileSync(
    join(app, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = (
      modules = [ ${modules.join(",\n      ")} ],
      compatibilityDate = "2026-11-01",
      globalOutbound = "internet",
    )),
    # The only network the worker has: loopback (the sandbox), nothing else.
    (name = "internet", network = (allow = ["127.0.0.0/8"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
`,
  );
  const child = spawn(join(BIN, "workerd"), ["serve", "config.capnp", "--control-fd=3"], {
    cwd: app,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  child.stdout.on("data", (c) => (stderr += c));
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`workerd did not listen in 20 s: ${stderr}`)), 20_000);
      createInterface({ input: child.stdio[3] }).on("line", (line) => {
        const message = JSON.parse(line);
        if (message.event === "listen" && message.socket === "http") {
          clearTimeout(timer);
          resolve(message.port);
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`workerd exited with ${code}: ${stderr}`));
      });
    });
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: input });
    const body = await response.json();
    assert.equal(response.status, 200, `worker failed: ${JSON.stringify(body)}\n${stderr}`);
    return body;
  } finally {
    child.kill("SIGTERM");
  }
}

/** The scratch app served to headless Chromium; a page starts web-worker.mjs as a module Worker
 * (loading `entry`), waits for "ready", posts the flow's input and resolves with the result. */
async function runWebWorker(entry, input) {
  const server = await serveStatic(app);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    await page.goto(server.url);
    const reply = await page.evaluate(
      ({ entry, input }) =>
        new Promise((resolve) => {
          const worker = new Worker(`/web-worker.mjs?entry=${encodeURIComponent(entry)}`, { type: "module" });
          worker.onerror = (event) => resolve({ error: `worker error: ${event.message}` });
          worker.onmessage = ({ data }) => {
            if (data.ready) worker.postMessage(input);
            else resolve(data);
          };
        }),
      { entry, input },
    );
    assert.deepEqual(pageErrors, []);
    assert.equal(reply.error, undefined, reply.error);
    return reply.result;
  } finally {
    await browser.close();
    server.close();
  }
}
