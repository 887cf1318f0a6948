// `make wasm-size`: the size of the module at each stage and the Node load time.
// usage: node tools/size.mjs <cargo .wasm> <after wasm-bindgen .wasm> <shipped .wasm> <pkg dir>
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const [cargoWasm, bindgenWasm, shippedWasm, pkg] = process.argv.slice(2);
const row = (label, path) => {
  const bytes = readFileSync(path);
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.log(`${label.padEnd(30)} ${String(bytes.length).padStart(9)} B raw ${String(gz).padStart(9)} B gzip -9`);
};
row("cargo (release-wasm)", cargoWasm);
row("after wasm-bindgen", bindgenWasm);
row("after wasm-opt -Oz (shipped)", shippedWasm);

// Load time in a fresh process: require/import of the package, which reads, compiles and
// instantiates the module. Median of 7 runs.
const measure = (code) => {
  const runs = [];
  for (let i = 0; i < 7; i++) {
    runs.push(Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" }).trim()));
  }
  runs.sort((a, b) => a - b);
  return runs[3].toFixed(1);
};
const cjs = JSON.stringify(join(pkg, "node.cjs"));
const esm = JSON.stringify(new URL(`file://${join(pkg, "node.mjs")}`).href);
console.log(
  `node require(node.cjs)          ${measure(`import { createRequire } from "node:module"; const t = performance.now(); createRequire(import.meta.url)(${cjs}); console.log(performance.now() - t);`)} ms (median of 7)`,
);
console.log(
  `node import(node.mjs)           ${measure(`const t = performance.now(); await import(${esm}); console.log(performance.now() - t);`)} ms (median of 7)`,
);
