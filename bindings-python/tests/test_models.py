"""The typed objects themselves: immutability, enums, to_dict, masked repr."""

from __future__ import annotations

from decimal import Decimal

import pytest

import connectpsp
from connectpsp import BankAccount, CashIn, CashInStatus, CashOutStatus, Destination, Payee, PixKeyType


def test_unknown_status_values_still_parse() -> None:
    status = CashOutStatus("ON_HOLD")
    assert status == "ON_HOLD" and status.name == "UNKNOWN" and isinstance(status, CashOutStatus)
    assert CashOutStatus("COMPLETED") is CashOutStatus.COMPLETED
    assert str(CashInStatus.PAID) == "PAID"
    assert f"{CashInStatus.PAID}" == "PAID"


def test_resource_from_core_json() -> None:
    outcome = {
        "data": {
            "transaction_id": "kk6g232xel65a0daee4dd13kk2912714964",
            "status": "PAID",
            "amount": "10.00",
            "payer": {"name": "Test User", "document": "12345678909", "bank_data": None},
            "future_field": {"x": 1},
        },
        "idempotency_key": "550e8400-e29b-41d4-a716-446655440000",
        "status": 200,
        "request_id": "req-1",
        "attempts": 1,
        "raw": "{}",
    }
    charge = CashIn._from_outcome(outcome)
    assert charge.amount == Decimal("10.00")
    assert charge.status is CashInStatus.PAID
    assert charge.http_status == 200 and charge.request_id == "req-1"
    assert charge.to_dict()["future_field"] == {"x": 1}  # nothing the API sends is lost
    assert "12345678909" not in repr(charge) and "123.***.***-09" in repr(charge)
    with pytest.raises(AttributeError):
        charge.amount = Decimal(1)
    with pytest.raises(AttributeError):
        del charge.status
    assert charge == CashIn._from_outcome(outcome)


def test_request_objects_validate_their_enums() -> None:
    destination = Destination.pix("CPF", "12345678909")
    assert destination.pix_key_type is PixKeyType.CPF
    assert destination._to_params() == {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"}
    account = Destination.account(BankAccount(ispb="18236120", branch="0001", account="947710840", account_type="PAYMENT"))
    payee = Payee(name="Maria", document="12345678909", destination=account)
    assert payee.destination is not None and payee.destination.bank_account is not None
    assert payee.destination.bank_account.account_type == "PAYMENT"
    with pytest.raises(TypeError):
        Payee(name="Maria", document="1", destination=account, extra=1)  # type: ignore[call-arg]


def test_long_values_are_shortened_in_repr() -> None:
    charge = CashIn._from_data({"transaction_id": "t", "status": "AWAITING_PAYMENT", "amount": "1.00",
                                "pix_data": {"copy_and_paste": "0" * 300, "qr_code_image_base64": "i" * 5000}})
    text = repr(charge)
    assert len(text) < 400 and "5000 chars" in text


def test_version() -> None:
    assert connectpsp.__version__
