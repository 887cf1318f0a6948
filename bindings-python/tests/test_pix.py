"""The offline PIX toolkit against the shared vectors of testdata/pix/."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import vectors
from test_validation import snake, snake_keys

import connectpsp
from connectpsp import pix

BRCODES = vectors("pix/brcodes.json")
DOCUMENTS = vectors("pix/documents.json")
KEYS = vectors("pix/keys.json")


@pytest.mark.parametrize("case", BRCODES["valid"], ids=[c["name"] for c in BRCODES["valid"]])
def test_parse_valid_brcodes(case: dict[str, Any]) -> None:
    code = pix.parse_brcode(case["payload"])
    for name, expected in snake_keys(case["expect"]).items():
        value = getattr(code, name)
        if name == "amount" and expected is not None:
            assert value == Decimal(expected) and isinstance(value, Decimal)
        else:
            assert value == expected, name
    assert code.fields and code.fields[-1].id == "63"


@pytest.mark.parametrize("case", BRCODES["invalid"], ids=[c["name"] for c in BRCODES["invalid"]])
def test_parse_invalid_brcodes(case: dict[str, Any]) -> None:
    with pytest.raises(connectpsp.ValidationError):
        pix.parse_brcode(case["payload"])


@pytest.mark.parametrize("case", BRCODES["encode"], ids=[c["name"] for c in BRCODES["encode"]])
def test_build_brcodes(case: dict[str, Any]) -> None:
    assert pix.build_brcode(**snake_keys(case["input"])) == case["payload"]
    assert pix.parse_brcode(case["payload"]).merchant_name == case["input"]["merchantName"]


@pytest.mark.parametrize("case", BRCODES["encodeInvalid"], ids=[c["name"] for c in BRCODES["encodeInvalid"]])
def test_build_invalid_brcodes(case: dict[str, Any]) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        pix.build_brcode(**snake_keys(case["input"]))
    assert caught.value.field == ".".join(snake(p) for p in case["field"].split("."))


def test_build_refuses_a_float_amount() -> None:
    with pytest.raises(connectpsp.ValidationError, match="Decimal or str"):
        pix.build_brcode(key="a@b.com", merchant_name="X", merchant_city="Y", amount=1.5)  # type: ignore[arg-type]
    code = pix.build_brcode(key="a@b.com", merchant_name="X", merchant_city="Y", amount=Decimal("1.50"))
    assert pix.parse_brcode(code).amount == Decimal("1.50")


@pytest.mark.parametrize("case", DOCUMENTS["valid"], ids=[c["document"] for c in DOCUMENTS["valid"]])
def test_valid_documents(case: dict[str, Any]) -> None:
    check = pix.is_valid_cpf if case["kind"] == "CPF" else pix.is_valid_cnpj
    assert check(case["document"]) is True


@pytest.mark.parametrize("case", DOCUMENTS["invalid"], ids=[c["document"] or "empty" for c in DOCUMENTS["invalid"]])
def test_invalid_documents(case: dict[str, Any]) -> None:
    assert pix.is_valid_cpf(case["document"]) is False
    assert pix.is_valid_cnpj(case["document"]) is False


@pytest.mark.parametrize("case", KEYS["valid"], ids=[f'{c["type"]}:{c["key"]}' for c in KEYS["valid"]])
def test_valid_keys(case: dict[str, Any]) -> None:
    assert pix.validate_key(case["type"], case["key"]) == case["normalized"]


@pytest.mark.parametrize("case", KEYS["invalid"], ids=[f'{c["type"]}:{c["key"]}' for c in KEYS["invalid"]])
def test_invalid_keys(case: dict[str, Any]) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        pix.validate_key(case["type"], case["key"])
    assert caught.value.field == snake(case["field"])
    if len(case["key"]) > 3:
        assert case["key"] not in str(caught.value)  # personal data is never echoed


def test_idempotency_key_for_is_deterministic() -> None:
    key = connectpsp.idempotency_key_for("order-1")
    assert key == connectpsp.idempotency_key_for("order-1")
    assert key != connectpsp.idempotency_key_for("order-2")
    assert len(key) == 36 and key[14] == "5"  # UUID v5
