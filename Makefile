# ConnectPSP SDK: build and test harness.
#
#   make demo    set everything up, then run the narrated money flow in Python and in JS
#   make test    every check of the project (what CI runs through .ci/run)
#   make tools   only the set-up (idempotent; quiet when nothing is missing)
#
# Each part of the repository adds a fragment mk/<part>.mk defining `test-<part>` and its build
# targets. Every rule named `test-*` in a fragment joins `make test` automatically, so a new
# fragment needs no edit here (a fragment may also append to TEST_TARGETS explicitly).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory
.DELETE_ON_ERROR:

ROOT := $(abspath $(dir $(firstword $(MAKEFILE_LIST))))

# Everything slow to rebuild lives outside the clone, so a fresh clone on the same machine
# (which is what CI is) reuses it.
CACHE := $(HOME)/.cache/connectpsp
export CARGO_TARGET_DIR ?= $(CACHE)/target
TOOLS := $(CACHE)/tools
VENV := $(CACHE)/venv
PYTHON := $(VENV)/bin/python
export PATH := $(TOOLS)/bin:$(TOOLS)/node_modules/.bin:$(PATH)
# pyo3's build script and clippy must see the same interpreter as maturin, or they rebuild each other.
export PYO3_PYTHON := $(PYTHON)
export CACHE TOOLS VENV ROOT
ifneq ($(CI),)
export CARGO_TERM_COLOR := never
endif

# Shared knobs for fragments.
# apt waits for another apt/dpkg (an unattended upgrade, a second install) instead of failing at once.
APT_GET := apt-get -o DPkg::Lock::Timeout=600
WASM_TARGET := wasm32-unknown-unknown
CARGO ?= cargo
# `node --test` progress as dots, plus the totals ("# pass N") that CI's summary quotes.
NODE_TEST_REPORTERS := --test-reporter=dot --test-reporter-destination=stdout \
  --test-reporter=$(ROOT)/.ci/node-test-summary.mjs --test-reporter-destination=stdout

TEST_TARGETS :=
TOOLS_TARGETS :=
-include $(sort $(wildcard mk/*.mk))

# The order in which the parts are tested: the cheapest and most fundamental first, so a broken
# core is reported before everything built on it. Unknown parts run last.
TEST_ORDER := test-core test-sandbox test-python test-js test-examples test-fuzz
FOUND_TEST_TARGETS := $(sort $(TEST_TARGETS) $(shell sed -n -E \
  's/^(test-[A-Za-z0-9_.-]+)[[:space:]]*:([^=].*)?$$/\1/p' $(wildcard mk/*.mk) /dev/null))
ALL_TEST_TARGETS := $(filter $(FOUND_TEST_TARGETS),$(TEST_ORDER)) \
                    $(filter-out $(TEST_ORDER),$(FOUND_TEST_TARGETS))

# Every test target may be run on its own (`make test-python`) on a fresh machine.
$(ALL_TEST_TARGETS): | tools

.PHONY: help test lint fmt fmt-check clippy list-tests
help:
	@echo "make demo        set up, build, and run the narrated demo (Python, then JS)"
	@echo "make test        fmt + clippy + every test: $(ALL_TEST_TARGETS)"
	@echo "make tools       install what is missing (wasm target, wasm-bindgen, venv, npm tools, chromium)"
	@echo "make lint        cargo fmt --check and clippy -D warnings"
	@echo "make fmt         cargo fmt --all"
	@echo "make package-python-all   sdist + abi3 wheels (manylinux2014/musllinux_1_2, x86_64/aarch64), auditwheel-checked"
	@echo "make platforms-check      those, each installed and run: fresh venvs, sdist from source, aarch64 under qemu, musl (docs/platforms.md)"

list-tests:
	@echo $(ALL_TEST_TARGETS)

test: tools lint $(ALL_TEST_TARGETS)
	@echo "make test: OK ($(words $(ALL_TEST_TARGETS)) parts: $(ALL_TEST_TARGETS), plus fmt and clippy)"

lint: fmt-check clippy

fmt:
	@$(CARGO) fmt --all

fmt-check:
	@echo "::: cargo fmt --check"
	@$(CARGO) fmt --all --check

# The wasm crate is linted for the target it ships to as well; the host pass covers everything
# else (the Python crate's pyo3 build uses PYO3_PYTHON, the venv's interpreter).
clippy: | tools
	@echo "::: cargo clippy"
	@$(CARGO) clippy --quiet --workspace --all-targets -- -D warnings
	@if $(CARGO) metadata --no-deps --format-version 1 | grep -q '"name":"connectpsp-wasm"'; then \
	  $(CARGO) clippy --quiet -p connectpsp-wasm --target $(WASM_TARGET) --all-targets -- -D warnings; \
	fi

# Set-up steps: mine in mk/tools.mk; a fragment can add its own by appending to TOOLS_TARGETS.
.PHONY: tools
tools: tools-rust tools-wasm-bindgen tools-npm tools-venv tools-chromium $(TOOLS_TARGETS)
