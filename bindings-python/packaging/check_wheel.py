"""Checks a built wheel of connectpsp before it is published (run by `make package-python-all`).

For each wheel given: auditwheel's own verdict (`auditwheel show`) is the platform tag the file
name carries, so pip on that platform accepts it and nothing it links is outside the policy; the
extension inside is an ELF for the architecture of the tag and for the libc of the tag (musl's
loader for musllinux, glibc's for manylinux); it is one abi3 wheel for CPython >= 3.9; and it holds
the package's Python files, stubs and py.typed. Exits non-zero on the first wheel that fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

# ELF e_machine values of the architectures we publish for.
ELF_MACHINES = {"x86_64": 62, "aarch64": 183}
REQUIRED_FILES = {
    "connectpsp/__init__.py",
    "connectpsp/_native.pyi",
    "connectpsp/py.typed",
    "connectpsp/testing.py",
}


def fail(wheel: Path, why: str) -> None:
    sys.exit(f"{wheel.name}: {why}")


def elf_facts(data: bytes) -> tuple[int, list[bytes]]:
    """(e_machine, the names of libc-like shared objects the ELF mentions) of a 64-bit LE ELF."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF")
    machine = int.from_bytes(data[18:20], "little")
    libcs = sorted(set(re.findall(rb"(libc\.so\.6|libc\.musl-[a-z0-9_]+\.so\.1)", data)))
    return machine, libcs


def check(wheel: Path, auditwheel: str) -> str:
    m = re.fullmatch(r"connectpsp-[^-]+-(cp39)-(abi3)-([a-z0-9_.]+)\.whl", wheel.name)
    if not m:
        fail(wheel, "not named connectpsp-<version>-cp39-abi3-<platform>.whl")
    platforms = m.group(3).split(".")
    arch = next((a for a in ELF_MACHINES if platforms[0].endswith("_" + a)), None)
    if arch is None or not all(p.endswith("_" + arch) for p in platforms):
        fail(wheel, f"platform tags {platforms} do not name one known architecture")
    musl = platforms[0].startswith("musllinux_")

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        missing = REQUIRED_FILES - names
        if missing:
            fail(wheel, f"missing {sorted(missing)}")
        extensions = [n for n in names if n.startswith("connectpsp/_native") and n.endswith(".so")]
        if extensions != ["connectpsp/_native.abi3.so"]:
            fail(wheel, f"expected one connectpsp/_native.abi3.so, found {extensions}")
        machine, libcs = elf_facts(zf.read(extensions[0]))
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires_python = re.search(r"^Requires-Python: (.+)$", zf.read(metadata).decode(), re.M)
    if machine != ELF_MACHINES[arch]:
        fail(wheel, f"extension is ELF machine {machine}, the tag says {arch}")
    want_libc = b"libc.musl-" if musl else b"libc.so.6"
    if not libcs or not all(lib.startswith(want_libc) for lib in libcs):
        fail(wheel, f"extension links {libcs}, a {'musl' if musl else 'glibc'} tag needs {want_libc!r}")
    if requires_python is None or requires_python.group(1).strip() != ">=3.9":
        fail(wheel, "METADATA does not say Requires-Python: >=3.9")

    shown = subprocess.run([auditwheel, "show", str(wheel)], capture_output=True, text=True)
    verdict = re.search(r'following platform tag:\s*"([^"]+)"', shown.stdout)
    if shown.returncode != 0 or verdict is None:
        fail(wheel, f"auditwheel show gave no verdict:\n{shown.stdout}{shown.stderr}")
    # The name may carry the legacy alias too (manylinux2014 = manylinux_2_17): the verdict must
    # be one of its tags, and the best one it names.
    if verdict.group(1) not in platforms:
        fail(wheel, f"auditwheel says {verdict.group(1)}, the file name says {platforms}")
    return f"{wheel.name}: auditwheel {verdict.group(1)}, {arch} ELF, {libcs[0].decode()}, {wheel.stat().st_size:,} B"


def main() -> None:
    auditwheel, *wheels = sys.argv[1:]
    if not wheels:
        sys.exit("usage: check_wheel.py AUDITWHEEL WHEEL...")
    for wheel in wheels:
        print(check(Path(wheel), auditwheel))


if __name__ == "__main__":
    main()
