// Browser, bundler, worker and Deno entry (conditions `browser`, `worker`, `deno`, `default`): no
// Node built-ins. The .wasm is fetched next to this file (bundlers rewrite `new URL(…,
// import.meta.url)` into an asset URL; Deno reads it with --allow-read on that one file) before
// the first export is usable, hence the top-level await.
import init, * as core from "./wasm/connectpsp_wasm.js";
import { detectBrowser, setRuntime, webRandomBytes } from "./esm/runtime.js";

await init({ module_or_path: new URL("./wasm/connectpsp_wasm_bg.wasm", import.meta.url) });
setRuntime({ core, isBrowser: detectBrowser(), flavour: "web", randomBytes: webRandomBytes });

export * from "./esm/index.js";
