# The examples (examples/python, examples/js, examples/rust) and the demo, each run for real
# against its own sandbox process by examples/tests (pytest drives every language).

# Where the npm package `connectpsp` is assembled by mk/wasm.mk (its package.json lives there).
JS_PKG_DIR ?= bindings-wasm/pkg

.PHONY: test-examples examples-node-links

# Node resolves bare imports from the nearest node_modules up the tree, and ESM ignores NODE_PATH:
# the repository root gets a node_modules (git-ignored) of links: `connectpsp` to the built
# package, and each dependency of examples/package.json to the shared install in $(TOOLS).
examples-node-links: tools-npm
	@mkdir -p node_modules
	@ln -sfn "$(ROOT)/$(JS_PKG_DIR)" node_modules/connectpsp
	@for dep in $$(node -p 'Object.keys(require("./examples/package.json").dependencies).filter(d => d !== "connectpsp").join(" ")'); do \
	  mkdir -p "node_modules/$$(dirname "$$dep")" && ln -sfn "$(TOOLS)/node_modules/$$dep" "node_modules/$$dep"; \
	done

test-examples: sandbox-bin python-dev wasm-pkg examples-node-links
	@echo "::: examples and demo against the sandbox"
	@cd examples/tests && "$(PYTHON)" -m pytest -q -p no:cacheprovider -p no:asyncio
