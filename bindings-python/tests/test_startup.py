"""What `import connectpsp` loads: only what an API call needs. The PIX toolkit and json (with
the re patterns it compiles) load on first use, and `typing` (with `re`) never at run time
(connectpsp/_model_base.py says why); every public name still imports."""

from __future__ import annotations

import subprocess
import sys

import connectpsp

# Only what the import itself loads: a site-packages .pth file may have loaded typing already.
PROBE = """
import sys
before = set(sys.modules)
import connectpsp
print(sorted(m for m in ("connectpsp.pix", "connectpsp.testing", "connectpsp.token_store", "json", "asyncio",
                         "typing", "re") if m in sys.modules and m not in before))
"""


def test_import_loads_no_toolkit_json_asyncio_or_typing() -> None:
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
