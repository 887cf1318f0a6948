"use strict";
// Node and Bun entry (require, and import through node.mjs; conditions `node` and `bun`): the
// nodejs glue of wasm-bindgen loads the .wasm synchronously with fs, so the package is usable as
// soon as it is required (Bun's require() cannot load web.mjs, which has a top-level await).
// Requests go through undici's `request` on a keep-alive Agent in Node (the fastest Node client,
// see ts/http-node.ts); Bun keeps its native fetch; the `fetch` option overrides either.
const core = require("./wasm/connectpsp_wasm.cjs");
// The whole TypeScript layer, bundled into one file (tools/assemble.mjs).
const layer = require("./cjs/index.js");

// Node 18 has no global `crypto`; its webcrypto has the same getRandomValues. Looked up on the
// first random bytes (a client's first call), not at require: the first read of
// `globalThis.crypto` loads Node's whole WebCrypto (about 3.5 ms of CPU), which the offline
// helpers (pix, webhooks, idempotencyKeyFor) never need.
let webcrypto;
function randomSource() {
  return (webcrypto ??=
    globalThis.crypto && typeof globalThis.crypto.getRandomValues === "function"
      ? globalThis.crypto
      : require("node:crypto").webcrypto);
}

function nodeWithUndici() {
  if (process.versions.bun !== undefined || typeof globalThis.Deno !== "undefined") return false;
  const [major, minor, patch] = process.versions.node.split(".").map(Number);
  return major > 20 || (major === 20 && (minor > 18 || (minor === 18 && patch >= 1)));
}

layer.setRuntime({
  core,
  isBrowser: false,
  flavour: "node",
  // undici is loaded on the first client, not at require: the offline helpers (pix, webhooks)
  // never pay for it. Bun and Deno load this entry too but have a native fetch of their own;
  // Node before 20.18.1 (undici 7's floor; 18 is past its end of life) keeps the global fetch.
  transport: nodeWithUndici() ? () => layer.undiciTransport(require("undici")) : undefined,
  randomBytes(length) {
    const bytes = new Uint8Array(length);
    randomSource().getRandomValues(bytes);
    return bytes;
  },
});

// tsc's CommonJS output carried this marker, and TypeScript's and bundlers' interop reads it (a
// default import of the package): kept, non-enumerable as it was.
Object.defineProperty(layer.api, "__esModule", { value: true });
module.exports = layer.api;
