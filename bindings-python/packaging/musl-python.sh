#!/usr/bin/env bash
# Runs the x86_64 musllinux wheel's test flow on this glibc machine, with no Alpine: a CPython
# linked against musl (Debian's musl-gcc wrapper from musl-tools; the kernel headers from
# linux-libc-dev) built once from Debian's own python3.11 and zlib sources (`apt-get source`,
# through a private source list so the machine's apt set-up is untouched), then the wheel
# installed by pip into a fresh venv of it and the quickstart against the embedded sandbox.
# pip accepts a musllinux wheel only on an interpreter whose ELF loader is musl's, so the
# install itself checks the tag.
#
#   musl-python.sh PREFIX WHEEL SMOKE_SCRIPT
#
# The build (about 2-4 minutes on 2 cores, once) keeps only what the SDK and pip need: zlib
# (pip unpacks wheels), no ssl, sqlite, ctypes or readline.
set -euo pipefail
prefix=$1 wheel=$2 smoke=$3
pyver=3.11
stamp="$prefix/.connectpsp-musl-python"
want="python$pyver zlib musl-gcc"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  command -v musl-gcc >/dev/null || { echo "musl-gcc missing (apt-get install musl-tools)" >&2; exit 1; }
  echo "::: CPython $pyver linked against musl, from Debian's sources (once)"
  work="$prefix.build"
  rm -rf "$prefix" "$work"
  mkdir -p "$work/apt/lists/partial" "$work/src" "$work/include"
  echo "deb-src http://deb.debian.org/debian bookworm main" > "$work/apt/sources.list"
  apt_private=(-qq -o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/apt/lists")
  apt-get "${apt_private[@]}" update 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
  (cd "$work/src" && apt-get "${apt_private[@]}" source --download-only "python$pyver" zlib 2>&1 \
     | grep -v '^W: Download is performed unsandboxed' || true)
  # musl-gcc sees only musl's headers: the kernel's come from linux-libc-dev, as Alpine's do.
  ln -s /usr/include/linux /usr/include/asm-generic "$work/include/"
  ln -s /usr/include/x86_64-linux-gnu/asm "$work/include/asm"
  # CPython's configure compares gcc's multiarch (x86_64-linux-gnu) with the musl triplet and
  # stops; a musl compiler has no multiarch, so the wrapper reports none.
  mkdir -p "$work/bin"
  printf '#!/bin/sh\n[ "$1" = --print-multiarch ] && exit 0\nexec musl-gcc "$@"\n' > "$work/bin/musl-cc"
  chmod +x "$work/bin/musl-cc"
  export CC="$work/bin/musl-cc" CFLAGS="-O2 -isystem $work/include" LDFLAGS="-L$prefix/lib -Wl,-rpath,$prefix/lib"
  log="$work/build.log"
  (
    cd "$work/src"
    tar xf zlib_*.orig.tar.*
    cd zlib-*/ && ./configure --prefix="$prefix" && make -j"$(nproc)" && make install
  ) >"$log" 2>&1 || { tail -30 "$log"; exit 1; }
  (
    cd "$work/src"
    tar xf "python${pyver}_"*.orig.tar.*
    cd Python-*/
    # Configured as a cross build (build: this glibc machine; host: musl) with this machine's
    # python3.11 as the build Python: a native build lets setup.py add the glibc multiarch
    # include folder to every extension module, whose headers then clash with musl's.
    CFLAGS="$CFLAGS -I$prefix/include" READELF=/usr/bin/readelf ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no \
      ac_cv_buggy_getaddrinfo=no \
      ./configure --prefix="$prefix" --host=x86_64-pc-linux-musl --build=x86_64-pc-linux-gnu \
      --with-build-python="$(command -v python$pyver)" --without-ensurepip --disable-test-modules \
      --with-lto=no &&
    make -j"$(nproc)" && make install
  ) >>"$log" 2>&1 || { tail -30 "$log"; exit 1; }
  rm -rf "$work"
  echo "$want" > "$stamp"
fi

python="$prefix/bin/python$pyver"
# The interpreter's loader is musl's: this is what pip's musllinux tag detection reads.
readelf -l "$python" | grep -q 'ld-musl-x86_64.so.1' || { echo "$python is not a musl program" >&2; exit 1; }
venv=$prefix-venv
rm -rf "$venv"
"$python" -m venv --without-pip "$venv"
# pip itself from the host's bundled wheel (pure Python), installing from the local file only.
pip_wheel=$(python3 -c 'import ensurepip, pathlib; print(next(pathlib.Path(ensurepip.__file__).parent.glob("_bundled/pip-*.whl")))')
"$venv/bin/python" "$pip_wheel/pip" install --quiet --no-index --disable-pip-version-check "$wheel"
cd /tmp
"$venv/bin/python" -c '
import platform, sys, connectpsp._native as n
print(f"musl: {sys.version.split()[0]} on {platform.machine()}, {n.__file__}")'
"$venv/bin/python" "$smoke"
