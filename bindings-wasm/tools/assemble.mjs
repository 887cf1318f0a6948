// Assembles the npm package folder (bindings-wasm/pkg) from the compiled layer (pkg/.stage/esm
// and pkg/types, written by tsc), the wasm-bindgen glue and module (pkg/.stage) and the entry
// points. Run by `make wasm-pkg`; usage: node tools/assemble.mjs <pkg-dir>
//
// The layer (about 20 modules) is bundled by esbuild rather than shipped file by file: every
// module costs Node a resolution, a read and a compile at load (about 5 ms for the tree; the
// package's load time is issue 12's target), and a browser or Deno one request each. Bundled:
// - web.mjs and edge.mjs: one self-contained ES module each (entry + layer), importing only the
//   wasm-bindgen glue and the .wasm, which stay files (bundlers and workerd handle those);
// - cjs/index.js: the layer as one CommonJS file, shared by node.cjs and testing.cjs (one
//   module instance: one runtime, one set of error classes), loaded by node.mjs through node.cjs.
// The input is tsc's output, not the .ts files: tsc stays the one compiler of the TypeScript
// (and writes the declarations in types/); esbuild only joins modules.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "..");
const pkg = resolve(process.argv[2]);
const stage = join(pkg, ".stage");

const writeJson = (path, value) => writeFileSync(path, JSON.stringify(value, null, 2) + "\n");

// One module, two glues: the nodejs glue (CommonJS, reads the .wasm with fs from its own folder)
// and the web glue (ESM, instantiated by the entry). wasm-bindgen emits the same module for
// both targets (the Makefile checks), so it ships once.
mkdirSync(join(pkg, "wasm"), { recursive: true });
copyFileSync(join(stage, "opt.wasm"), join(pkg, "wasm", "connectpsp_wasm_bg.wasm"));
copyFileSync(join(stage, "node", "connectpsp_wasm.js"), join(pkg, "wasm", "connectpsp_wasm.cjs"));
copyFileSync(join(stage, "web", "connectpsp_wasm.js"), join(pkg, "wasm", "connectpsp_wasm.js"));
writeJson(join(pkg, "wasm", "package.json"), { type: "module" });

// The bundle inputs sit beside tsc's output (.stage/esm) as the entries sit beside esm/ in an
// unbundled package, so their relative imports resolve as written.
for (const entry of ["web.mjs", "edge.mjs", "layer.mjs"]) {
  copyFileSync(join(source, "entries", entry), join(stage, entry));
}
const common = {
  absWorkingDir: stage,
  bundle: true,
  // The glue and the .wasm stay files next to the entries (resolved at run time, from pkg/).
  external: ["./wasm/*"],
  target: "es2022", // what tsc emits (tsconfig.json): esbuild lowers nothing
  // Whitespace and syntax only: about a third less text for V8 to scan at load (0.4-0.8 ms of
  // require() measured, docs/api-decisions.md). Identifiers keep their names: the error classes'
  // `name` comes from the class (package.test.mjs checks), and stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
};
const bundles = [
  // No Node built-in may resolve in these (package.test.mjs checks the text too).
  build({ ...common, entryPoints: ["web.mjs", "edge.mjs"], outdir: pkg, format: "esm", platform: "neutral", outExtension: { ".js": ".mjs" } }),
  build({ ...common, entryPoints: ["layer.mjs"], outfile: join(pkg, "cjs", "index.js"), format: "cjs", platform: "node" }),
];
for (const { metafile } of await Promise.all(bundles)) {
  // Every import of the layer must be inside the bundle: an unexpected external (a typo, a
  // package) would only fail on the user's machine.
  for (const [out, meta] of Object.entries(metafile.outputs)) {
    for (const imp of meta.imports.filter((i) => i.external)) {
      if (!/^\.\/wasm\//.test(imp.path)) throw new Error(`${out}: unexpected external import ${imp.path}`);
    }
  }
}
writeJson(join(pkg, "cjs", "package.json"), { type: "commonjs" });

for (const entry of ["node.cjs", "node.mjs", "testing.cjs", "testing.mjs", "testing.d.ts"]) {
  copyFileSync(join(source, "entries", entry), join(pkg, entry));
}
writeFileSync(
  join(pkg, "index.d.ts"),
  '// Types of every entry point (node, web, edge): they share one surface.\nexport * from "./types/index.js";\n',
);
copyFileSync(join(source, "README.md"), join(pkg, "README.md"));

// The published manifest: the source one without what only builds and tests need.
const manifest = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
delete manifest.devDependencies;
delete manifest.scripts;
writeJson(join(pkg, "package.json"), manifest);
