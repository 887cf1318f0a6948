# connectpsp-sandbox: the stateful local twin of the ConnectPSP API.
#
#   make test-sandbox   cargo test -p connectpsp-sandbox (unit + integration over real HTTP),
#                       then the README's curl + openssl walkthrough against the binary
#   make sandbox-bin    build the debug binary the other parts start:
#                       $(CARGO_TARGET_DIR)/debug/connectpsp-sandbox
#   make sandbox-run    run it for humans on port 8080 (SANDBOX_ARGS="--seed 1 ..." to change)

SANDBOX_BIN := $(CARGO_TARGET_DIR)/debug/connectpsp-sandbox
SANDBOX_ARGS ?= --port 8080

.PHONY: test-sandbox sandbox-bin sandbox-run

test-sandbox:
	@echo "::: cargo test -p connectpsp-sandbox"
	@log=$$(mktemp); \
	 if $(CARGO) test --quiet -p connectpsp-sandbox >"$$log" 2>&1; then \
	   grep '^test result:' "$$log"; \
	   awk '/^test result: ok/ { p += $$4; n++ } END { printf "    %d tests passed in %d test binaries\n", p, n }' "$$log"; \
	   rm -f "$$log"; \
	 else cat "$$log"; rm -f "$$log"; exit 1; fi
	@echo "::: sandbox README walkthrough (curl + openssl against the binary)"
	@$(CARGO) build --quiet -p connectpsp-sandbox --bin connectpsp-sandbox
	@sandbox/tests/walkthrough.sh "$(SANDBOX_BIN)" | sed 's/^/    /'

sandbox-bin:
	@$(CARGO) build --quiet -p connectpsp-sandbox --bin connectpsp-sandbox

sandbox-run: sandbox-bin
	@"$(SANDBOX_BIN)" $(SANDBOX_ARGS)
