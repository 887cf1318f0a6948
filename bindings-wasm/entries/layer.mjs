// The bundle entry of cjs/index.js (tools/assemble.mjs; not shipped as such): the TypeScript
// layer as one CommonJS module for node.cjs and testing.cjs, which must share one instance (the
// runtime that node.cjs sets, the error classes that every `instanceof` checks).
// `api` is the public surface (ts/index.ts), what node.cjs exports; the rest is for the entries
// and the package's own tests, and stays unreachable for users (package.json `exports`).
export * as api from "./esm/index.js";
export { facts, setRuntime } from "./esm/runtime.js";
export { undiciTransport } from "./esm/http-node.js";
export { connectPhaseCode } from "./esm/http.js";
export { webhookEvent, webhookSignature } from "./esm/testing.js";
// The step decoder, for tests/step.test.mjs and the bench's core scenario (bench/js/scenario.mjs).
export { parseStep } from "./esm/driver.js";
