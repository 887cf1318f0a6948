#!/usr/bin/env bash
# Runs the aarch64 wheel's test flow on this x86_64 machine: Debian's arm64 python3 under
# qemu-user (Debian's qemu-user-static), the wheel installed by pip into a fresh venv, then the
# quickstart against the embedded sandbox (bindings-python/tests/wheel_smoke.py).
#
#   arm64-python.sh ROOT WHEEL SMOKE_SCRIPT
#
# ROOT is a cached arm64 Debian root (made once, about 30 s and 230 MB). It is made with
# `debootstrap --foreign` only: the second stage would run arm64 programs through binfmt_misc,
# which this kind of machine does not have, so the downloaded packages are unpacked with
# `dpkg-deb -x` instead (nothing here needs their maintainer scripts). For the same reason no
# arm64 program may start another one: qemu-user does not follow an exec into a foreign binary
# without binfmt_misc. Hence `venv --without-pip` and pip run from Debian's pip wheel (pip does
# not spawn anything to install a wheel).
set -euo pipefail
root=$1 wheel=$2 smoke=$3
suite=bookworm
packages=python3,python3-venv
qemu=$(command -v qemu-aarch64-static) || { echo "qemu-aarch64-static missing (apt-get install qemu-user-static)" >&2; exit 1; }
stamp="$root/.connectpsp-root"
want="$suite $packages"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "::: debootstrap --foreign --arch=arm64 $suite ($packages) into $root (once)"
  rm -rf "$root"
  mkdir -p "$(dirname "$root")"
  debootstrap --foreign --arch=arm64 --variant=minbase --include="$packages" \
    "$suite" "$root" http://deb.debian.org/debian >"$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
  for deb in "$root"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$root"; done
  rm -f "$root"/var/cache/apt/archives/*.deb
  echo "$want" > "$stamp"
fi

# Every arm64 binary runs through qemu with the root as its library prefix.
export QEMU_LD_PREFIX=$root
py() { "$qemu" "$@"; }

venv=$root-venv
rm -rf "$venv"
py "$root/usr/bin/python3" -m venv --without-pip "$venv"
pip_wheel=$(ls "$root"/usr/share/python-wheels/pip-*.whl | head -n1)
py "$venv/bin/python" "$pip_wheel/pip" install --quiet --no-index --disable-pip-version-check "$wheel"
cd /tmp
py "$venv/bin/python" -c '
import platform, sys, connectpsp._native as n
assert platform.machine() == "aarch64", platform.machine()
print(f"arm64: {sys.version.split()[0]} on {platform.machine()} ({platform.libc_ver()[0]} {platform.libc_ver()[1]}), {n.__file__}")'
py "$venv/bin/python" "$smoke"
