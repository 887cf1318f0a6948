# The npm package in real JS runtimes besides Node: Bun, Deno and Cloudflare's workerd, each
# installed by `make tools` from the npm registry (bindings-wasm/tests/runtimes/package.json,
# merged into $(TOOLS)/node_modules; the binaries come in the platform packages), and a browser's
# Web Worker (Debian's headless Chromium, as for the browser test).
#
#   make test-runtimes   the money flow (bindings-wasm/tests/runtimes/flow.mjs) run by `bun`, by
#                        `deno` (loopback net and the .wasm readable, nothing else), inside
#                        `workerd` (a worker serving one request) and in a module Web Worker in
#                        Chromium (the `worker` condition's entry), each against its own sandbox
#                        and loading the package through its export condition

.PHONY: test-runtimes

test-runtimes: wasm-pkg sandbox-bin
	@echo "::: bun, deno and workerd run the package against the sandbox (bindings-wasm/tests/runtimes)"
	@CONNECTPSP_PKG="$(ROOT)/$(WASM_PKG)" CONNECTPSP_SANDBOX_BIN="$(SANDBOX_BIN)" \
	  CONNECTPSP_RUNTIMES_BIN="$(TOOLS)/node_modules/.bin" \
	  node --test $(NODE_TEST_REPORTERS) $(WASM_DIR)/tests/runtimes/runtimes.test.mjs
