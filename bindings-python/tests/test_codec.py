"""The params codec: the one-pass C encoder and the field-naming path write the same JSON, and
every value the fast path cannot write still ends in the error that names its field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

import connectpsp
from connectpsp import Destination, Payee, RefundReason
from connectpsp._codec import _encoders, _plain, encode_params

CASES: list[dict[str, Any]] = [
    {"amount": Decimal("1.00"), "external_reference": "r", "description": None},
    {"amount": Decimal("1E+3"), "payee": {"name": "Maria", "document": "12345678909",
                                          "destination": {"type": "PIX", "pix_key": "a@b.co"}}},
    {"amount": 10, "reason": RefundReason.FRAUD, "id": "t1"},
    {"amount": "150.50", "payee": Payee(name="Maria", document="12345678909",
                                       destination=Destination.pix("CPF", "12345678909"))},
    {"target_amount": 2.5, "flags": (1, True, None), "nested": [{"a": Decimal("0.10")}]},
    {"text": "João ✓ \"quoted\"", "n": -1},
]


@pytest.mark.parametrize("params", CASES)
def test_fast_and_named_paths_write_the_same_json(params: dict[str, Any]) -> None:
    present = {k: v for k, v in params.items() if v is not None}
    assert encode_params(params) == _encoders()[1]({k: _plain(v, k) for k, v in present.items()})
    assert "description" not in json.loads(encode_params(params))


@pytest.mark.parametrize(
    "params, field",
    [
        ({"amount": Decimal("NaN")}, "amount"),
        ({"payee": {"destination": {"amount": Decimal("1e999999999")}}}, "payee.destination.amount"),
        ({"amount": float("inf")}, "amount"),
        ({"nested": [{"x": float("nan")}]}, "nested[0].x"),
    ],
)
def test_what_the_fast_path_refuses_is_named(params: dict[str, Any], field: str) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        encode_params(params)
    assert caught.value.field == field


def test_a_type_json_cannot_carry_is_named() -> None:
    with pytest.raises(TypeError, match=r"payee\.tags: cannot send a set"):
        encode_params({"payee": {"tags": {1, 2}}})
