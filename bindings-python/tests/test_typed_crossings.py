"""What crosses from the core to Python without JSON text: result objects, webhook events and the
PIX toolkit's answers built from the core's typed values, exceptions from its `Error`, and the
facts (defaults, error classes, resubmittable calls) read from the core instead of copied."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal
from typing import Any

import pytest
from conftest import PAYEE, reference

import connectpsp
from connectpsp import CashOut, CashOutStatus, _native
from connectpsp._client import _config_json
from connectpsp._errors import CLASSES
from connectpsp.testing import Sandbox, webhook_signature

KEY = "test-crypto-token-0001"


def test_a_result_object_is_built_from_the_typed_reply(client: connectpsp.Client) -> None:
    payout = client.cash_out.create(amount=Decimal("12.30"), external_reference=reference(), payee=PAYEE)
    assert type(payout) is CashOut
    assert payout.amount == Decimal("12.30") and isinstance(payout.amount, Decimal)
    assert payout.status is CashOutStatus.PROCESSING
    assert payout.payee is not None and payout.payee.destination is not None
    assert payout.payee.destination.pix_key == PAYEE["destination"]["pix_key"]  # type: ignore[index]
    data = payout.to_dict()
    # snake_case all the way down, nothing the core's camelCase left behind.
    assert "transaction_id" in data and "transactionId" not in data
    assert set(data["payee"]["destination"]) >= {"type", "pix_key_type", "pix_key"}
    assert payout.http_status == 202 and payout.attempts == 1 and payout.replayed is False
    assert payout.idempotency_key and json.loads(payout.raw)["transactionId"] == payout.transaction_id


def _unknown_event() -> tuple[bytes, str]:
    body = json.dumps(
        {
            "eventType": "CASHOUT_ON_HOLD",
            "eventAt": "2026-03-10T14:22:18Z",
            "data": {
                "transactionId": "t-1",
                "amount": 10.50,
                "fee": 1e-2,
                "count": 3,
                "holdInfo": {"reasonCode": "AML", "checks": [{"checkName": "pep", "score": 0.75}]},
                "flag": True,
                "note": None,
            },
        }
    ).encode()
    return body, webhook_signature(body, KEY)


def test_an_unknown_event_keeps_its_data_exactly() -> None:
    body, signature = _unknown_event()
    event = connectpsp.Webhook.construct_event(payload=body, signature=signature, crypto_token=KEY)
    assert event.event_type.name == "UNKNOWN" and event.event_type == "CASHOUT_ON_HOLD"
    data: Any = event.data
    assert isinstance(data, dict)
    # Numbers with a fraction or an exponent are the exact Decimal of their text, never a float.
    assert data["amount"] == Decimal("10.5") and type(data["amount"]) is Decimal
    assert data["fee"] == Decimal("0.01") and type(data["fee"]) is Decimal
    assert data["count"] == 3 and type(data["count"]) is int
    assert data["hold_info"] == {"reason_code": "AML", "checks": [{"check_name": "pep", "score": Decimal("0.75")}]}
    assert data["flag"] is True and data["note"] is None
    assert event.dedupe_key == "CASHOUT_ON_HOLD:t-1:"


def test_the_client_webhook_path_builds_the_same_event(client: connectpsp.Client, sandbox: Sandbox) -> None:
    body, _ = _unknown_event()
    signed = webhook_signature(body, sandbox.credentials.crypto_token)
    event = client.webhooks.construct_event(body, {connectpsp.SIGNATURE_HEADER: signed})
    assert isinstance(event.data, dict) and event.data["hold_info"]["reason_code"] == "AML"
    assert event.data["amount"] == Decimal("10.5") and type(event.data["amount"]) is Decimal


def test_errors_carry_every_attribute_from_the_core() -> None:
    try:
        connectpsp.pix.validate_key("CPF", "123")
    except connectpsp.ValidationError as error:
        assert error.kind == "validation" and error.code == "VALIDATION_ERROR"
        assert error.attempts == 0 and error.outcome_unknown is False and error.status is None
    else:
        raise AssertionError("an invalid CPF key was accepted")


def test_error_classes_are_the_cores() -> None:
    assert list(CLASSES) == list(_native.ERROR_CLASSES)
    for name in _native.ERROR_CLASSES:
        assert getattr(connectpsp, name) is CLASSES[name]


def test_defaults_are_the_cores_facts() -> None:
    for cls in (connectpsp.Client, connectpsp.AsyncClient):
        params = inspect.signature(cls).parameters
        assert params["timeout"].default == _native.DEFAULT_TIMEOUT_MS / 1000
        assert params["max_retries"].default == _native.DEFAULT_MAX_RETRIES
    wait = inspect.signature(connectpsp.Client(
        client_id="i", client_secret="s", application_token="a", crypto_token="c"
    ).cash_out.wait).parameters
    assert wait["timeout"].default == _native.DEFAULT_SETTLE_TIMEOUT_MS / 1000


def test_the_config_sends_no_codec_choices() -> None:
    config = json.loads(
        _config_json(
            client_id="i",
            client_secret="s",
            application_token="a",
            crypto_token="c",
            base_url=connectpsp.STAGING,
            timeout=1.0,
            max_retries=0,
            deadline=None,
            dangerously_allow_insecure_http=False,
        )
    )
    # Naming and float amounts are the codec's (core/src/bridge/codec.rs), not the config's.
    assert "naming" not in config and "floatAmounts" not in config
    assert config["binding"] == "python"


def _no_json(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a toolkit answer crossed as JSON text")


def test_a_decoded_brcode_crosses_as_python_data(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = connectpsp.pix.build_brcode(
        key="maria@example.com", merchant_name="Maria Silva", merchant_city="Sao Paulo", amount=Decimal("150.50")
    )
    monkeypatch.setattr(json, "loads", _no_json)
    answer = _native.pix_parse_brcode(payload)
    assert isinstance(answer, dict) and answer["merchant_city"] == "Sao Paulo"
    # The amount is the core's decimal text (the model makes the Decimal), never a float.
    assert answer["amount"] == "150.50" and "url" not in answer
    code = connectpsp.pix.parse_brcode(payload)
    assert code.amount == Decimal("150.50") and type(code.amount) is Decimal
    assert code.key == "maria@example.com" and code.url is None and code.single_use is False
    assert code.fields[0].id == "00" and code.fields[-1].id == "63"


def test_a_key_detection_crosses_as_python_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json, "loads", _no_json)
    assert _native.pix_detect_key_type("123.456.789-09") == ("CPF", "12345678909", [("CPF", "12345678909")])
    found = connectpsp.pix.detect_key_type("19987654312")
    assert found.type is None and found.normalized is None
    assert found.candidates == (
        (connectpsp.PixKeyType.CPF, "19987654312"),
        (connectpsp.PixKeyType.PHONE, "+5519987654312"),
    )
    assert all(type(kind) is connectpsp.PixKeyType for kind, _ in found.candidates)
