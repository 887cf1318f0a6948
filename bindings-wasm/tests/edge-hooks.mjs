// Module hooks that make Node load the package the way an edge bundler (wrangler for workerd)
// does: `import m from "./x.wasm"` yields a compiled WebAssembly.Module. They also refuse any
// Node built-in imported from inside the package, so the edge path is proven free of them.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const PKG = process.env.CONNECTPSP_PKG_URL;

export async function resolve(specifier, context, next) {
  const fromPackage = context.parentURL?.startsWith(PKG);
  if (fromPackage && (specifier.startsWith("node:") || /^(fs|path|crypto|util|http|https|os|module)$/.test(specifier))) {
    throw new Error(`edge path imports the Node built-in "${specifier}" from ${context.parentURL}`);
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.endsWith(".wasm")) {
    const bytes = readFileSync(fileURLToPath(url)).toString("base64");
    return {
      format: "module",
      shortCircuit: true,
      source: `export default new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(bytes)}), (c) => c.charCodeAt(0)));`,
    };
  }
  return next(url, context);
}
