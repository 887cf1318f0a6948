# One schema: the bindings' model code is generated from the core's model types
# (tools/schema-gen reads core/src/model with syn and core/src/personal.rs as a library).
#
#   make schema        regenerate after changing core/src/model or core/src/personal.rs
#   make test-schema   the generator's tests, then a fresh generation into a temporary
#                      directory diffed against the committed files: stale output fails

SCHEMA_GEN = $(CARGO) run --quiet -p connectpsp-schema-gen --
SCHEMA_FILES := bindings-wasm/ts/generated/schema.ts \
                bindings-wasm/ts/generated/display.ts \
                bindings-python/python/connectpsp/_generated_models.py

.PHONY: schema test-schema

schema:
	@$(SCHEMA_GEN)
	@echo "::: regenerated $(SCHEMA_FILES)"

test-schema:
	@echo "::: schema-gen: tests, and the generated models are current"
	@$(CARGO) test --quiet -p connectpsp-schema-gen
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	 $(SCHEMA_GEN) --out "$$out"; \
	 for f in $(SCHEMA_FILES); do \
	   diff -u "$$f" "$$out/$$f" || { echo "$$f is not what core/src/model generates: run 'make schema' and commit it" >&2; exit 1; }; \
	 done
