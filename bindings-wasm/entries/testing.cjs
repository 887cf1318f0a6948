"use strict";
// `connectpsp/testing` (Node): webhook signing helpers, and startSandbox(), which runs the
// ConnectPSP sandbox binary built from the SDK's repository (`cargo build -p
// connectpsp-sandbox`; pass its path or set CONNECTPSP_SANDBOX_BIN) on a free loopback port
// with fresh random credentials, for tests against a faithful twin of the API.
require("./node.cjs"); // loads the core
const { spawn } = require("node:child_process");
const { randomUUID } = require("node:crypto");
const { existsSync } = require("node:fs");
const { createInterface } = require("node:readline");
const { webhookEvent, webhookSignature } = require("./cjs/index.js");

async function startSandbox(options = {}) {
  const bin = options.bin ?? process.env.CONNECTPSP_SANDBOX_BIN;
  if (!bin || !existsSync(bin)) {
    throw new Error(
      "startSandbox: the sandbox binary was not found: build it in the SDK repository with " +
        "`cargo build -p connectpsp-sandbox` and pass { bin } or set CONNECTPSP_SANDBOX_BIN",
    );
  }
  const credentials = {
    clientId: `client-${randomUUID().slice(0, 8)}`,
    clientSecret: `secret-${randomUUID()}`,
    applicationToken: randomUUID(),
    cryptoToken: `crypto-${randomUUID()}`,
  };
  const child = spawn(bin, ["--port", "0", ...(options.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      CONNECTPSP_SANDBOX_CLIENT_ID: credentials.clientId,
      CONNECTPSP_SANDBOX_CLIENT_SECRET: credentials.clientSecret,
      CONNECTPSP_SANDBOX_APPLICATION_TOKEN: credentials.applicationToken,
      CONNECTPSP_SANDBOX_CRYPTO_TOKEN: credentials.cryptoToken,
    },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`startSandbox: no URL within ${options.startTimeoutMs ?? 20000} ms: ${stderr}`));
    }, options.startTimeoutMs ?? 20000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = /^CONNECTPSP_SANDBOX_URL=(\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/+$/, ""));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`startSandbox: the sandbox exited with ${code}: ${stderr}`));
    });
  });
  child.stdout.resume();
  return {
    url,
    credentials,
    /** ConnectPSP options for this sandbox, with your overrides. */
    options(overrides = {}) {
      return { ...credentials, baseUrl: url, ...overrides };
    },
    /** Stops the sandbox process; resolves when it has exited. */
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}

module.exports = { webhookSignature, webhookEvent, startSandbox };
