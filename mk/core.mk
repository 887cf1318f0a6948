# connectpsp-core: the sans-IO engine.
#
#   make test-core    unit + integration tests, the wasm32 build, and the no-I/O dependency check
#                     (the driver's model checker runs a few thousand sequences there)
#   make soak         the model checker on SOAK_CASES sequences (default a million); not in
#                     `make test`. Runs unattended: `nohup make soak >soak.log 2>&1 &`

# Crates that would mean the core does I/O, needs a runtime or OS randomness.
CORE_FORBIDDEN_DEPS := reqwest hyper tokio pyo3 wasm-bindgen js-sys getrandom mio socket2 async-std

.PHONY: test-core build-core-wasm check-core-deps soak

test-core: check-core-deps build-core-wasm
	@echo "::: cargo test -p connectpsp-core"
	@log=$$(mktemp); \
	 if $(CARGO) test --quiet -p connectpsp-core >"$$log" 2>&1; then \
	   grep '^test result:' "$$log"; \
	   awk '/^test result: ok/ { p += $$4; n++ } END { printf "    %d tests passed in %d test binaries\n", p, n }' "$$log"; \
	   rm -f "$$log"; \
	 else cat "$$log"; rm -f "$$log"; exit 1; fi

build-core-wasm:
	@echo "::: cargo build -p connectpsp-core --target $(WASM_TARGET)"
	@$(CARGO) build --quiet -p connectpsp-core --target $(WASM_TARGET)

# `cargo tree -e normal` lists what ships: none of it may do I/O.
check-core-deps:
	@echo "::: connectpsp-core dependencies are I/O-free"
	@tree=$$($(CARGO) tree -p connectpsp-core -e normal --prefix none --format '{p}' | sed 's/ .*//' | sort -u); \
	 bad=$$(for d in $(CORE_FORBIDDEN_DEPS); do echo "$$tree" | grep -qx "$$d" && echo "$$d"; done; true); \
	 if [ -n "$$bad" ]; then echo "connectpsp-core depends on I/O crates: $$bad"; exit 1; fi

# A million random driver sequences (core/tests/model_checker.rs). Optimised build: the checker
# is CPU-bound and a debug build would take hours. A failure prints the shrunk sequence and its
# trace; MODEL_CHECKER_SKIP=name,... leaves known-broken invariants out to look for the next one.
SOAK_CASES ?= 1000000
soak:
	@echo "::: model checker: $(SOAK_CASES) sequences (core/tests/model_checker.rs)"
	@start=$$(date +%s); \
	 MODEL_CHECKER_CASES=$(SOAK_CASES) $(CARGO) test --quiet --release -p connectpsp-core \
	   --test model_checker -- --nocapture; \
	 echo "    $(SOAK_CASES) sequences in $$(( $$(date +%s) - start )) s"
