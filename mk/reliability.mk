# Reliability and security (reliability/, docs/reliability.md):
#
#   make chaos              CHAOS_N cash-outs (default 20,000) through each package — Python
#                           asyncio, Python threads, JS — under 30 % injected faults on
#                           POST /cash-out and POST /auth/token (drops, 5xx before and after
#                           commit, broken and slow bodies, token expiry mid-retry) and 4 s
#                           tokens; prints requests, faults, retries, unknowns, duplicates, lost,
#                           definitively-failed-but-applied and writes every figure to
#                           $(CHAOS_REPORT); fails unless the three counts are 0
#   make test-reliability   the same chaos run with CHAOS_TEST_N (default 1,000) per package, then
#                           the pytest and node --test suites: SIGKILL crash + re-run, resubmit,
#                           outcome paths, secret scan, transport safety, webhook hardening
#
# Every script starts its own sandbox binary on a free port and stops it; nothing is left running.

CHAOS_N ?= 20000
CHAOS_TEST_N ?= 1000
CHAOS_REPORT ?= $(CACHE)/reliability/chaos-last.json
RELIABILITY_ENV = CONNECTPSP_PKG="$(ROOT)/$(WASM_PKG)" CONNECTPSP_SANDBOX_BIN="$(SANDBOX_BIN)"

.PHONY: chaos test-reliability

chaos: sandbox-bin python-dev wasm-pkg
	@echo "::: chaos payouts: $(CHAOS_N) per package, 30 % faults (reliability/chaos.py)"
	@$(RELIABILITY_ENV) "$(PYTHON)" reliability/chaos.py --n $(CHAOS_N) --report "$(CHAOS_REPORT)"

test-reliability: sandbox-bin python-dev wasm-pkg
	@echo "::: reliability: chaos with $(CHAOS_TEST_N) payouts per package"
	@$(RELIABILITY_ENV) "$(PYTHON)" reliability/chaos.py --n $(CHAOS_TEST_N) --report "$(CACHE)/reliability/chaos-test.json"
	@echo "::: reliability: crash re-run, resubmit, secrets, transport, webhooks (pytest)"
	@$(RELIABILITY_ENV) "$(PYTHON)" -m pytest -q -p no:cacheprovider -p no:asyncio reliability/tests
	@echo "::: reliability: resubmit, secrets, transport, webhooks (node --test)"
	@$(RELIABILITY_ENV) node --test --test-timeout=120000 $(NODE_TEST_REPORTERS) reliability/js/*.test.mjs
