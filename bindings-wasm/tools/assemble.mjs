// Assembles the npm package folder (bindings-wasm/pkg) from the compiled layer (pkg/esm,
// pkg/cjs, pkg/types, written by tsc), the wasm-bindgen glue and module (pkg/.stage) and the
// entry points. Run by `make wasm-pkg`; usage: node tools/assemble.mjs <pkg-dir>
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "..");
const pkg = process.argv[2];
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
writeJson(join(pkg, "esm", "package.json"), { type: "module" });
writeJson(join(pkg, "cjs", "package.json"), { type: "commonjs" });

for (const entry of ["node.cjs", "node.mjs", "web.mjs", "edge.mjs", "testing.cjs", "testing.mjs", "testing.d.ts"]) {
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
