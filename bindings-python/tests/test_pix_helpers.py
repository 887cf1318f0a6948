"""pix.detect_key_type, normalize_document, format_document, qr_svg/qr_png against the shared
vectors of testdata/pix/helpers.json (the same the Rust and JS tests read)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import vectors

import connectpsp
from connectpsp import pix

HELPERS = vectors("pix/helpers.json")


@pytest.mark.parametrize("case", HELPERS["detect"], ids=lambda c: str(c["input"]))
def test_detect_key_type(case: dict[str, Any]) -> None:
    found = pix.detect_key_type(case["input"])
    assert (None if found.type is None else str(found.type)) == case["type"]
    assert [[str(kind), key] for kind, key in found.candidates] == case["candidates"]
    assert case["input"] not in repr(found) or len(case["input"]) < 3


@pytest.mark.parametrize("key", HELPERS["invalidKeys"])
def test_invalid_keys(key: str) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        pix.detect_key_type(key)
    assert not key or key not in str(caught.value)


@pytest.mark.parametrize("case", HELPERS["documents"], ids=lambda c: str(c["written"]))
def test_documents(case: dict[str, str]) -> None:
    assert pix.normalize_document(case["written"]) == case["normalized"]
    assert pix.format_document(case["written"]) == case["formatted"]


@pytest.mark.parametrize("document", HELPERS["invalidDocuments"])
def test_invalid_documents(document: str) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        pix.normalize_document(document)
    assert caught.value.field == "document"


def test_qr_images() -> None:
    for code in HELPERS["qr"]["valid"]:
        assert pix.qr_svg(code).lstrip().startswith("<")
        assert pix.qr_png(code, module_px=4).startswith(b"\x89PNG")
    for code in HELPERS["qr"]["invalid"]:
        with pytest.raises(connectpsp.ValidationError) as caught:
            pix.qr_svg(code)
        assert caught.value.field == "brcode"
