# connectpsp-core: the sans-IO engine.
#
#   make test-core    unit + integration tests, the wasm32 build, and the no-I/O dependency check

# Crates that would mean the core does I/O, needs a runtime or OS randomness.
CORE_FORBIDDEN_DEPS := reqwest hyper tokio pyo3 wasm-bindgen js-sys getrandom mio socket2 async-std

.PHONY: test-core build-core-wasm check-core-deps

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
