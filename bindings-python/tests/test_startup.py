"""What `import connectpsp` loads: only what an API call needs. The PIX toolkit and json (with
the re patterns it compiles) load on first use; every public name still imports."""

from __future__ import annotations

import subprocess
import sys

import connectpsp

PROBE = """
import sys
import connectpsp
print(sorted(m for m in ("connectpsp.pix", "connectpsp.testing", "connectpsp.token_store", "json", "asyncio")
             if m in sys.modules))
"""


def test_import_loads_no_toolkit_json_or_asyncio() -> None:
    loaded = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout
    assert loaded.strip() == "[]"


def test_every_public_name_imports() -> None:
    for name in connectpsp.__all__:
        exec(f"from connectpsp import {name}", {})
    from connectpsp import pix

    assert connectpsp.pix is pix and pix.is_valid_cpf("12345678909")
    try:
        connectpsp.not_a_name
    except AttributeError as error:
        assert "not_a_name" in str(error)
    else:
        raise AssertionError("an unknown attribute must raise AttributeError")
