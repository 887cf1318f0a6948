// Shared by the node --test files: loads the built package (bindings-wasm/pkg, or
// $CONNECTPSP_PKG), starts a private sandbox on a free port and talks to its control API.
import { spawn } from "node:child_process";
import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "..", "..");
export const PKG = process.env.CONNECTPSP_PKG ?? join(ROOT, "bindings-wasm", "pkg");
export const TESTDATA = join(ROOT, "testdata");

if (!existsSync(join(PKG, "node.cjs"))) {
  throw new Error(`the npm package is not built in ${PKG}: run \`make wasm-pkg\` first`);
}

/** The package through `import` (node.mjs) and through `require` (node.cjs). */
export const esm = await import(pathToFileURL(join(PKG, "node.mjs")).href);
export const cjs = createRequire(import.meta.url)(join(PKG, "node.cjs"));

/** A shared test vector from testdata/, parsed. */
export function vector(relativePath) {
  return JSON.parse(readFileSync(join(TESTDATA, relativePath), "utf8"));
}

export function sandboxBinary() {
  const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? "", ".cache", "connectpsp", "target");
  return process.env.CONNECTPSP_SANDBOX_BIN ?? join(target, "debug", "connectpsp-sandbox");
}

/**
 * Starts `connectpsp-sandbox --port 0` with fresh random credentials (so a leak check can look
 * for unique strings) and waits for its first line, CONNECTPSP_SANDBOX_URL=…. `stop()` kills it.
 */
export async function startSandbox(args = [], env = {}) {
  const bin = sandboxBinary();
  if (!existsSync(bin)) throw new Error(`sandbox binary missing at ${bin}: run \`make sandbox-bin\``);
  const credentials = {
    clientId: `client-${randomUUID().slice(0, 8)}`,
    clientSecret: `secret-${randomUUID()}`,
    applicationToken: randomUUID(),
    cryptoToken: `crypto-${randomUUID()}`,
  };
  const child = spawn(bin, ["--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      CONNECTPSP_SANDBOX_CLIENT_ID: credentials.clientId,
      CONNECTPSP_SANDBOX_CLIENT_SECRET: credentials.clientSecret,
      CONNECTPSP_SANDBOX_APPLICATION_TOKEN: credentials.applicationToken,
      CONNECTPSP_SANDBOX_CRYPTO_TOKEN: credentials.cryptoToken,
      ...env,
    },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start in 20 s: ${stderr}`)), 20_000);
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = /^CONNECTPSP_SANDBOX_URL=(\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1].replace(/\/+$/, ""));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code}: ${stderr}`));
    });
  });
  const control = async (method, path, body) => {
    const response = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === "" ? null : JSON.parse(text);
  };
  return {
    url,
    credentials,
    control,
    /** Client options for this sandbox (with the given overrides). */
    options(overrides = {}) {
      return { ...credentials, baseUrl: url, ...overrides };
    },
    /** API requests the sandbox received after `since` (its journal). */
    async requests(since = 0) {
      return (await control("GET", `/_sandbox/requests?since=${since}`)).requests;
    },
    /** Sequence number of the last API request the sandbox journaled. */
    async lastSeq() {
      return (await control("GET", `/_sandbox/requests?since=${Number.MAX_SAFE_INTEGER}`)).lastSeq;
    },
    fault(spec) {
      return control("POST", "/_sandbox/faults", spec);
    },
    stop() {
      child.kill("SIGTERM");
    },
  };
}

/** Every own property value and the usual string forms of `value`, for secret-leak checks. */
export function renderings(value) {
  const out = [String(value), JSON.stringify(value) ?? ""];
  try {
    out.push(JSON.stringify(Object.getOwnPropertyDescriptors(value)));
  } catch {
    // not an object
  }
  if (value instanceof Error) out.push(value.message, value.stack ?? "");
  return out;
}

const CONTENT_TYPES = { ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

/**
 * A static HTTP server for the files under `root` on 127.0.0.1 (a free port), with an empty page
 * at `/`: pages and workers are served from another origin than the sandbox, as in real life, so
 * their calls exercise CORS. Resolves with { url, close() }.
 */
export async function serveStatic(root) {
  const base = realpathSync(root);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>connectpsp</title>");
      return;
    }
    const file = normalize(join(base, path));
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

export const CHROMIUM = process.env.CONNECTPSP_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Debian's headless Chromium through playwright-core. Without the background-networking flags
 * Chromium keeps dialling Google's hosts, which this closed network refuses.
 */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`make tools\` (apt-get install chromium)`);
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
