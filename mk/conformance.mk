# Fidelity to docs/openapi.yaml, checked by third-party tools against the sandbox binary.
#
#   make test-conformance         both checks below (tools from conformance/requirements.txt and
#                                 conformance/package.json, installed by `make tools`)
#   make conformance-schemathesis schemathesis, every check, bounded examples, stateful links,
#                                 hooks for the token and DigitalSignature (conformance/hooks.py)
#   make conformance-prism        Prism 5.14.2 as a validating proxy in front of the sandbox while
#                                 each package runs a flow through every endpoint: 0 violations
#
# Every process (sandbox, Prism) is started and stopped by the scripts themselves.

SCHEMATHESIS := $(VENV)/bin/schemathesis
PRISM := $(TOOLS)/node_modules/.bin/prism

.PHONY: test-conformance conformance-schemathesis conformance-prism

test-conformance: conformance-schemathesis conformance-prism

conformance-schemathesis: sandbox-bin
	@echo "::: schemathesis against the sandbox (docs/openapi.yaml)"
	@conformance/schemathesis.sh "$(SANDBOX_BIN)" "$(SCHEMATHESIS)"

conformance-prism: sandbox-bin python-dev wasm-pkg
	@echo "::: Prism validating proxy: the Python and npm packages' flows (docs/openapi.yaml)"
	@conformance/prism.sh "$(SANDBOX_BIN)" "$(PRISM)" "$(PYTHON)" "$(ROOT)/bindings-wasm/pkg"
