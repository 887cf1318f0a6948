# Fuzzing the parsers that read untrusted bytes (core/fuzz/, its own cargo workspace):
#   brcode_decode    pix::brcode::decode on any text; accepted codes must survive encode → decode
#   parse_response   every model response type from any bytes; parsed values round-trip
#   webhook          webhook::construct_event / parse_event, with signed and forged bodies
#
#   make fuzz          each target for FUZZ_SECONDS (default 600), one after the other, nice 19
#   make fuzz-smoke    each target for 10 s (debug build): proves the targets build and run
#   make test-fuzz     = fuzz-smoke; part of `make test`
#   make fuzz-seed     re-seed core/fuzz/corpus/<target>/ from testdata/ (idempotent)
#
# Toolchain: cargo-fuzz needs nightly-only flags (-Zsanitizer=address). Only stable Rust is
# available here, so the build runs with RUSTC_BOOTSTRAP=1, which lets stable rustc accept them;
# measured to work with rustc 1.95 + cargo-fuzz 0.13.2 (libFuzzer is compiled from
# libfuzzer-sys's C++ sources, so a C++ compiler is needed — Debian's g++ is enough).
#
# The release build (`make fuzz`) is for throughput; the smoke uses a debug build, cheaper to
# compile. Runs never write into the clone: libFuzzer adds new inputs to the first corpus
# directory, $(FUZZ_WORK)/fuzz-corpus/<target> (the committed corpus is read as a second,
# read-only directory; the smoke uses a fresh fuzz-smoke-corpus each time). Crashes land in
# core/fuzz/artifacts/<target>/ (git-ignored): turn each into a regression test (core/tests/pix.rs
# or the module's tests) before fixing it.

FUZZ_DIR := core/fuzz
FUZZ_TARGETS := brcode_decode parse_response webhook
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_WORK := $(CACHE)/fuzz
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ := $(TOOLS)/bin/cargo-fuzz
# Separate target dir: the sanitizer flags would otherwise invalidate the normal build's cache.
FUZZ_TARGET_DIR ?= $(CACHE)/target-fuzz
FUZZ_ENV := RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$(FUZZ_TARGET_DIR)"

TOOLS_TARGETS += tools-cargo-fuzz
.PHONY: tools-cargo-fuzz fuzz fuzz-smoke test-fuzz fuzz-seed

tools-cargo-fuzz:
	@if ! "$(CARGO_FUZZ)" --version 2>/dev/null | grep -qx "cargo-fuzz $(CARGO_FUZZ_VERSION)"; then \
	  echo "::: cargo install cargo-fuzz $(CARGO_FUZZ_VERSION) (about 2 minutes, once)"; \
	  CARGO_TARGET_DIR="$(CACHE)/target-tools" cargo install --quiet --force cargo-fuzz \
	    --version "$(CARGO_FUZZ_VERSION)" --root "$(TOOLS)"; \
	fi

FUZZ_HOST := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')

# $(1): cargo-fuzz build flags, $(2): profile dir (release | debug), $(3): seconds per target,
# $(4): label, also the name of the corpus and log folders under $(FUZZ_WORK). One build, then
# the binaries are run directly: a `cargo fuzz run` per target would rebuild whenever someone
# edits the core meanwhile, fuzzing a different snapshot per target.
define fuzz_run
	@mkdir -p "$(FUZZ_WORK)/logs"
	@cd $(FUZZ_DIR) && $(FUZZ_ENV) nice -n 19 cargo fuzz build $(1) >"$(FUZZ_WORK)/logs/$(4)-build.log" 2>&1 || \
	  { tail -n 40 "$(FUZZ_WORK)/logs/$(4)-build.log"; exit 1; }
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p "$(FUZZ_WORK)/$(4)-corpus/$$t" "$(FUZZ_DIR)/artifacts/$$t"; \
	  log="$(FUZZ_WORK)/logs/$(4)-$$t.log"; \
	  if ! nice -n 19 "$(FUZZ_TARGET_DIR)/$(FUZZ_HOST)/$(2)/$$t" "$(FUZZ_WORK)/$(4)-corpus/$$t" "$(FUZZ_DIR)/corpus/$$t" \
	        -artifact_prefix="$(FUZZ_DIR)/artifacts/$$t/" -max_total_time=$(3) -timeout=10 \
	        -print_final_stats=1 >"$$log" 2>&1; then \
	    tail -n 60 "$$log"; echo "$(4) $$t: CRASH (input in $(FUZZ_DIR)/artifacts/$$t/, log $$log)"; exit 1; \
	  fi; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' "$$log"); \
	  echo "$(4) $$t: $${runs:-?} executions in $(3) s, no crash"; \
	done
endef

fuzz: tools-cargo-fuzz
	$(call fuzz_run,,release,$(FUZZ_SECONDS),fuzz)

# The smoke starts from the committed corpus only: a debug build replaying the thousands of
# inputs a long run accumulates would take minutes instead of seconds.
fuzz-smoke: tools-cargo-fuzz
	@rm -rf "$(FUZZ_WORK)/fuzz-smoke-corpus"
	$(call fuzz_run,--dev,debug,$(FUZZ_SMOKE_SECONDS),fuzz-smoke)

test-fuzz: fuzz-smoke

fuzz-seed:
	@python3 $(FUZZ_DIR)/seed_corpus.py
