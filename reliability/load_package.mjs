// Loads the npm package under test: $CONNECTPSP_PKG (the folder `make wasm-pkg` assembles,
// bindings-wasm/pkg) through the ESM entry its package.json declares for Node, or, when unset,
// whatever `connectpsp` resolves to from here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export async function loadConnectPSP() {
  const dir = process.env.CONNECTPSP_PKG;
  if (!dir) return import("connectpsp");
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const entry = manifest.exports?.["."]?.node?.import ?? manifest.module ?? manifest.main;
  return import(pathToFileURL(join(dir, entry)).href);
}
