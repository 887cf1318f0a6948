"use strict";
// Node and Bun entry (require, and import through node.mjs; conditions `node` and `bun`): the
// nodejs glue of wasm-bindgen loads the .wasm synchronously with fs, so the package is usable as
// soon as it is required (Bun's require() cannot load web.mjs, which has a top-level await).
const core = require("./wasm/connectpsp_wasm.cjs");
const { setRuntime } = require("./cjs/runtime.js");

// Node 18 has no global `crypto`; its webcrypto has the same getRandomValues.
const webcrypto =
  globalThis.crypto && typeof globalThis.crypto.getRandomValues === "function"
    ? globalThis.crypto
    : require("node:crypto").webcrypto;

setRuntime({
  core,
  isBrowser: false,
  flavour: "node",
  randomBytes(length) {
    const bytes = new Uint8Array(length);
    webcrypto.getRandomValues(bytes);
    return bytes;
  },
});

module.exports = require("./cjs/index.js");
