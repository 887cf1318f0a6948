# Benchmarks (bench/): the SDK against hand-written clients and the loopback ceiling, in one run.
#
#   make bench         release builds (sandbox, wheel, npm package), then bench/run.py, which
#                      writes docs/benchmarks.md (commit it) and $(CACHE)/bench-results.json
#   make bench-quick   the same pipeline with small counts: checks that everything runs
#   make test-bench    unit tests of the bench's own code (peer protocol, wrk parsing, profile
#                      reductions, report)
#
# BENCH_ARGS passes options to bench/run.py (e.g. BENCH_ARGS="--rounds 5 --only py-async").
# Release builds on purpose: a benchmark of debug builds measures nothing users run.

BENCH_VENV := $(CACHE)/venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_SANDBOX := $(CARGO_TARGET_DIR)/release/connectpsp-sandbox
BENCH_ARGS ?=

.PHONY: bench bench-quick bench-tools bench-build test-bench

# wrk from Debian (root: CI and this machine; elsewhere sudo -n), a venv of its own so the
# release wheel never replaces the debug build the Python tests use in $(VENV), and the
# bench-local node_modules (undici) from bench/js/package-lock.json.
bench-tools:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  echo "::: apt-get install wrk"; \
	  $$SUDO $(APT_GET) update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO $(APT_GET) install -y -qq wrk >/dev/null; }
	@[ -x "$(BENCH_PY)" ] || { echo "::: python3 -m venv $(BENCH_VENV)"; python3 -m venv "$(BENCH_VENV)"; }
	@stamp="$(BENCH_VENV)/.bench-stamp"; sum=$$(sha256sum bench/requirements.txt | cut -c1-64); \
	 if [ "$$(cat "$$stamp" 2>/dev/null)" != "$$sum" ]; then \
	   echo "::: pip install -r bench/requirements.txt"; \
	   "$(BENCH_PY)" -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt; \
	   echo "$$sum" > "$$stamp"; \
	 fi
	@stamp=bench/js/node_modules/.bench-stamp; sum=$$(sha256sum bench/js/package-lock.json | cut -c1-64); \
	 if [ "$$(cat "$$stamp" 2>/dev/null)" != "$$sum" ]; then \
	   echo "::: npm ci (bench/js)"; \
	   (cd bench/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null); \
	   echo "$$sum" > "$$stamp"; \
	 fi

# The sandbox binary in release mode, the release wheel and the npm tarball (their own
# fragments build them), installed where the scenarios import them from.
bench-build: bench-tools | tools
	@echo "::: cargo build --release -p connectpsp-sandbox"
	@$(CARGO) build --quiet --release -p connectpsp-sandbox
	@$(MAKE) package-python
	@$(MAKE) package-js
	@wheel=$$(ls -t dist/connectpsp-*.whl | head -n1); \
	 "$(BENCH_PY)" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$$wheel"
	@# Removed first: npm calls a same-version tarball "up to date" and keeps the old files.
	@tgz=$$(ls -t dist/connectpsp-*.tgz | head -n1); rm -rf bench/js/node_modules/connectpsp; \
	 (cd bench/js && npm install --no-save --no-audit --no-fund --loglevel=error "$(ROOT)/$$tgz" >/dev/null)

# The builds run inside the recipe so their wall time goes into the report beside the run's
# (the whole `make bench` is meant to fit in 15 minutes on 2 cores when the cache is warm).
BENCH_RUN = cd bench && "$(BENCH_PY)" run.py --sandbox-bin "$(BENCH_SANDBOX)" --python "$(BENCH_PY)" \
  --wheel-dir "$(ROOT)/dist" --npm-dir "$(ROOT)/dist"

bench: | tools
	@t0=$$(date +%s); $(MAKE) bench-build; t1=$$(date +%s); \
	 $(BENCH_RUN) --build-seconds $$((t1 - t0)) --command "make bench$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" $(BENCH_ARGS)

bench-quick: | tools
	@t0=$$(date +%s); $(MAKE) bench-build; t1=$$(date +%s); \
	 $(BENCH_RUN) --build-seconds $$((t1 - t0)) --quick --rounds 1 --command "make bench-quick" \
	  --out "$(CACHE)/benchmarks-quick.md" --results "$(CACHE)/bench-results-quick.json" $(BENCH_ARGS)

# Fast and offline: no build, no sandbox. The bench's protocol code and report are checked
# against fixed vectors so a peer that cheats (float amounts, a wrong signature) or a report
# that misstates a ratio fails here.
test-bench:
	@echo "::: bench unit tests"
	@cd bench && "$(PYTHON)" -m pytest -q -p no:cacheprovider tests
	@node --test bench/js/protocol.test.mjs
