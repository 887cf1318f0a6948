// Edge entry (export conditions `workerd`, Cloudflare, and `edge-light`, Vercel Edge): these
// runtimes refuse to compile WebAssembly from bytes at run time, so the .wasm is imported as a
// module, which their bundler (wrangler) or config (workerd's `wasm` module) compiles ahead.
import * as core from "./wasm/connectpsp_wasm.js";
import wasmModule from "./wasm/connectpsp_wasm_bg.wasm";
import { setRuntime, webRandomBytes } from "./esm/runtime.js";

core.initSync({ module: wasmModule });
setRuntime({ core, isBrowser: false, flavour: "edge", randomBytes: webRandomBytes });

export * from "./esm/index.js";
