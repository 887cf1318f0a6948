# `make demo`: set up and build what is missing, start a sandbox, tell the money flow in Python
# and then in JavaScript, stop the sandbox (demo/with-sandbox.sh stops it even when a step fails).

.PHONY: demo
demo: tools sandbox-bin python-dev wasm-pkg examples-node-links
	@demo/with-sandbox.sh bash -c '"$(PYTHON)" demo/demo.py && echo && node demo/demo.mjs'
