# The Python package `connectpsp` (bindings-python/): PyO3 + maturin, one abi3 wheel.
#
#   make python-dev       debug build installed into $(VENV) (editable: Python edits need no rebuild)
#   make package-python   the release abi3 wheel in dist/ (manylinux2014 x86_64, linked with zig)
#   make package-python-check   that wheel alone in a fresh venv runs the quickstart
#   (the sdist, aarch64 and musllinux wheels, auditwheel and qemu: mk/platforms.mk)
#   make test-python      pytest against the embedded sandbox + mypy --strict + stubtest
#   make tools-python-apt Debian packages some tests use: libfaketime (a wall clock that jumps),
#                         redis-server (the token-store tests of both packages);
#                         part of `make tools`

PY_DIR := bindings-python
PY_MANIFEST := $(PY_DIR)/Cargo.toml
MATURIN := $(VENV)/bin/maturin
# What mypy --strict checks: the package, its tests, and the Python examples when present.
PY_TYPED_PATHS := $(PY_DIR)/python/connectpsp $(PY_DIR)/tests $(wildcard examples/python)

.PHONY: python-dev package-python package-python-check test-python tools-python-apt

# apt needs root: CI runs as root; elsewhere sudo -n is tried, and without it the step only
# warns (the tests that need a package then skip, saying which).
PY_APT_PACKAGES := libfaketime redis-server
TOOLS_TARGETS += tools-python-apt
tools-python-apt:
	@missing=; for p in $(PY_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	 if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "warning: missing$$missing and no root: some Python tests will skip"; \
	  else echo "::: apt-get install$$missing (once)"; \
	    $$SUDO $(APT_GET) update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO $(APT_GET) install -y -qq --no-install-recommends $$missing >/dev/null; fi; \
	 fi

python-dev:
	@echo "::: maturin develop (bindings-python, debug)"
	@log=$$(mktemp); \
	 if VIRTUAL_ENV="$(VENV)" $(MATURIN) develop --quiet --manifest-path $(PY_MANIFEST) >"$$log" 2>&1; then rm -f "$$log"; \
	 else cat "$$log"; rm -f "$$log"; exit 1; fi

# zig links against glibc 2.17 symbols, so the wheel is tagged manylinux2014 and installs on
# older distributions too (a plain build here is tagged manylinux_2_34). ziglang (about 400 MB)
# is installed on first use only, not by `make tools`: only packaging needs it.
ZIGLANG := ziglang==0.17.1
package-python:
	@"$(PYTHON)" -c 'import ziglang' 2>/dev/null || { echo "::: pip install $(ZIGLANG) (once)"; \
	  "$(PYTHON)" -m pip install --quiet --disable-pip-version-check "$(ZIGLANG)"; }
	@mkdir -p dist
	@rm -f dist/connectpsp-*-manylinux*_x86_64.whl
	@echo "::: maturin build --release --zig --compatibility manylinux2014"
	@log=$$(mktemp); \
	 if PATH="$(VENV)/bin:$$PATH" $(MATURIN) build --quiet --release --manifest-path $(PY_MANIFEST) \
	      --out dist --zig --compatibility manylinux2014 >"$$log" 2>&1; then rm -f "$$log"; \
	 else cat "$$log"; rm -f "$$log"; exit 1; fi
	@ls -l dist/connectpsp-*-manylinux*_x86_64.whl

# The wheel alone in a fresh venv runs the quickstart against its embedded sandbox.
package-python-check: package-python
	@rm -rf "$(CACHE)/venv-wheel-check"
	@python3 -m venv "$(CACHE)/venv-wheel-check"
	@"$(CACHE)/venv-wheel-check/bin/pip" install --quiet --disable-pip-version-check dist/connectpsp-*-manylinux*_x86_64.whl
	@cd /tmp && "$(CACHE)/venv-wheel-check/bin/python" "$(ROOT)/$(PY_DIR)/tests/wheel_smoke.py"

test-python: python-dev
	@echo "::: pytest (bindings-python)"
	@cd $(PY_DIR) && "$(PYTHON)" -m pytest -q -p no:cacheprovider tests
	@echo "::: mypy --strict (bindings-python)"
	@"$(PYTHON)" -m mypy --strict --no-incremental --cache-dir=/dev/null $(PY_TYPED_PATHS)
	@echo "::: stubtest connectpsp"
	@cd /tmp && "$(PYTHON)" -m mypy.stubtest connectpsp --allowlist "$(ROOT)/$(PY_DIR)/stubtest-allowlist.txt"
