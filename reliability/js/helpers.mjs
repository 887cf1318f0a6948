// Shared by the reliability node --test files: the package under test, a private sandbox
// process per test file (fresh random credentials), its control API, and tiny local servers.
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { loadConnectPSP } from "../load_package.mjs";

export const sdk = await loadConnectPSP();

export function sandboxBinary() {
  const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? "", ".cache", "connectpsp", "target");
  return process.env.CONNECTPSP_SANDBOX_BIN ?? join(target, "debug", "connectpsp-sandbox");
}

/** `connectpsp-sandbox --port 0` with random credentials; `stop()` ends it. */
export async function startSandbox(extraArgs = []) {
  const bin = sandboxBinary();
  if (!existsSync(bin)) throw new Error(`sandbox binary missing at ${bin}: run \`make sandbox-bin\``);
  const credentials = {
    clientId: `rel-client-${randomBytes(4).toString("hex")}`,
    clientSecret: `rel-secret-${randomBytes(16).toString("hex")}`,
    applicationToken: randomUUID(),
    cryptoToken: `rel-crypto-${randomBytes(16).toString("hex")}`,
  };
  const child = spawn(
    bin,
    [
      "--port", "0", "--seed", "5", "--settle-delay-ms", "20", "--webhook-retry-ms", "100",
      "--client-id", credentials.clientId, "--client-secret", credentials.clientSecret,
      "--application-token", credentials.applicationToken, "--crypto-token", credentials.cryptoToken,
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the sandbox did not start within 20 s")), 20_000);
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const m = /^CONNECTPSP_SANDBOX_URL=(\S+)$/.exec(line.trim());
      m ? resolve(m[1]) : reject(new Error(`unexpected first line: ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`the sandbox exited with ${code}`)));
  });
  const control = async (method, path, body) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    baseUrl,
    credentials,
    control,
    client: (overrides = {}) => new sdk.ConnectPSP({ ...credentials, baseUrl, timeoutMs: 2000, ...overrides }),
    transactions: async () => (await control("GET", "/_sandbox/transactions")).transactions,
    requests: async (since = 0) => (await control("GET", `/_sandbox/requests?since=${since}`)).requests,
    fault: (spec) => control("POST", "/_sandbox/faults", spec),
    accessToken: async () => {
      const r = await fetch(`${baseUrl}/auth/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ clientId: credentials.clientId, clientSecret: credentials.clientSecret }),
      });
      return (await r.json()).accessToken;
    },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGTERM");
    }),
  };
}

/** An http server on 127.0.0.1:0 running `handler(req, res, body)`; records "METHOD path". */
export async function localServer(handler) {
  const hits = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      hits.push(`${req.method} ${req.url}`);
      handler(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    hits,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

export async function waitFor(predicate, ms, what) {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const PAYEE = {
  name: "Maria Silva",
  document: "12345678909",
  destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
};
