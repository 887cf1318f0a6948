# `make tools`: everything the build and the tests need beyond the base toolchain (rustup Rust,
# Python 3 with pip, Node with npm). Each step checks before it acts, so a second run is silent
# and takes about a second. All of it lives under $(CACHE), outside the clone.

# wasm-bindgen-cli must be exactly the version of the `wasm-bindgen` crate in Cargo.lock, or the
# generated glue does not match the module (0.2.130 until the wasm crate lands in the lockfile).
WASM_BINDGEN_VERSION := $(or $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock 2>/dev/null | head -n1),0.2.130)
# wasm-opt from npm: Debian's binaryen 108 emits modules that fail to load
# ("WebAssembly.Table.set(): Argument 1 is invalid for table" on the externref table).
BINARYEN_VERSION := 132.0.0
MATURIN_VERSION := 1.16.0
# npm manifests whose dependencies are installed once into $(TOOLS)/node_modules.
NPM_MANIFESTS := $(wildcard bindings-wasm/package.json examples/package.json bindings-wasm/tests/runtimes/package.json conformance/package.json)
# pip requirement files installed into $(VENV).
PIP_REQUIREMENTS := $(wildcard bindings-python/requirements-dev.txt examples/requirements.txt conformance/requirements.txt)
PIP_BASE := maturin==$(MATURIN_VERSION) pytest mypy

.PHONY: tools-rust tools-wasm-bindgen tools-npm tools-venv tools-chromium tools-node-links

tools-rust:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || { \
	  echo "::: rustup target add $(WASM_TARGET)"; rustup target add $(WASM_TARGET); }
	@installed=$$(rustup component list --installed 2>/dev/null); \
	 for c in clippy rustfmt; do \
	   echo "$$installed" | grep -q "^$$c" || { echo "::: rustup component add $$c"; rustup component add $$c; }; \
	 done

# No --locked: the registry mirror can lack the newest patch release the CLI's own lockfile names.
tools-wasm-bindgen:
	@if ! "$(TOOLS)/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $(WASM_BINDGEN_VERSION)"; then \
	  echo "::: cargo install wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 2 minutes, once)"; \
	  CARGO_TARGET_DIR="$(CACHE)/target-tools" cargo install --quiet --force wasm-bindgen-cli \
	    --version "$(WASM_BINDGEN_VERSION)" --root "$(TOOLS)"; \
	fi

# One merged manifest (every dependency of the manifests above, plus binaryen) installed into
# $(TOOLS); reinstalled only when that merged manifest changes.
tools-npm:
	@mkdir -p "$(TOOLS)"
	@node .ci/npm-tools.mjs "$(TOOLS)/package.json" $(BINARYEN_VERSION) $(NPM_MANIFESTS)
	@stamp="$(TOOLS)/node_modules/.connectpsp-stamp"; \
	 sum=$$(sha256sum "$(TOOLS)/package.json" | cut -c1-64); \
	 if [ "$$(cat "$$stamp" 2>/dev/null)" != "$$sum" ] || [ ! -x "$(TOOLS)/node_modules/.bin/wasm-opt" ]; then \
	   echo "::: npm install into $(TOOLS)"; \
	   (cd "$(TOOLS)" && npm install --no-audit --no-fund --no-update-notifier --loglevel=error >/dev/null); \
	   echo "$$sum" > "$$stamp"; \
	 fi
	@$(MAKE) tools-node-links

# Node's ESM resolver ignores NODE_PATH, so the folders that import npm packages get a
# node_modules link to the shared install (node_modules/ is git-ignored).
tools-node-links:
	@for d in bindings-wasm; do \
	  if [ -f "$$d/package.json" ] && [ ! -e "$$d/node_modules" ]; then ln -s "$(TOOLS)/node_modules" "$$d/node_modules"; fi; \
	done

tools-venv:
	@[ -x "$(PYTHON)" ] || { echo "::: python3 -m venv $(VENV)"; python3 -m venv "$(VENV)"; }
	@stamp="$(VENV)/.connectpsp-stamp"; \
	 sum=$$( { echo "$(PIP_BASE)"; cat $(PIP_REQUIREMENTS) /dev/null; } | sha256sum | cut -c1-64); \
	 if [ "$$(cat "$$stamp" 2>/dev/null)" != "$$sum" ]; then \
	   echo "::: pip install into $(VENV)"; \
	   "$(PYTHON)" -m pip install --quiet --disable-pip-version-check $(PIP_BASE) \
	     $(foreach r,$(PIP_REQUIREMENTS),-r $(r)); \
	   echo "$$sum" > "$$stamp"; \
	 fi

# Headless Chromium for the npm package's browser test. Debian's package (apt needs root: CI
# runs as root; elsewhere sudo -n is tried, and without it the step only warns).
tools-chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "warning: /usr/bin/chromium missing and no root: the browser test cannot run"; \
	  else echo "::: apt-get install chromium (about a minute, once)"; \
	    $$SUDO $(APT_GET) update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO $(APT_GET) install -y -qq --no-install-recommends chromium >/dev/null; fi; \
	fi
