"""The generated models (tools/schema-gen from core/src/model): personal data masked in every repr
by the core's rule (core/src/personal.rs), open enums, the core's webhook dispatch, and the data
itself left intact."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

from conftest import reference

import connectpsp
from connectpsp import BankAccount, CashOut, Destination, EventType, Payee, Payer, WebhookEvent
from connectpsp.models import BankData, CashIn

KEY = "generated-models-crypto-token"


def test_reprs_mask_names_documents_keys_and_account_numbers() -> None:
    payer = Payer(name="Maria da Silva", document="12345678909", bank_data=BankData(account="947710840", branch="0001"))
    text = repr(payer)
    assert "Maria" not in text and "Silva" not in text and "M*** d*** S***" in text
    assert "12345678909" not in text and "123.***.***-09" in text
    assert "947710840" not in text and "***840" in text and "branch='0001'" in text

    by_key = Payee(name="Ana Souza", document="11222333000181", destination=Destination.pix("EMAIL", "ana.souza@example.com"))
    text = repr(by_key)
    assert "Ana" not in text and "11222333000181" not in text and "ana.souza" not in text
    assert "A*** S***" in text and "11.***.***/****-81" in text and "a***@example.com" in text

    account = BankAccount(ispb="18236120", branch="0001", account="12345678-9", account_type="PAYMENT")
    text = repr(Destination.account(account))
    assert "12345678-9" not in text and "***8-9" in text and "ispb='18236120'" in text

    # The values themselves are what the caller gave.
    assert payer.name == "Maria da Silva" and payer.to_dict()["document"] == "12345678909"
    assert by_key.destination is not None and by_key.destination.pix_key == "ana.souza@example.com"


def test_a_result_from_the_core_masks_and_keeps_unknown_values() -> None:
    payout = CashOut._from_outcome({
        "data": {
            "transaction_id": "t-1",
            "status": "ON_HOLD",
            "amount": "10.50",
            "payee": {"name": "Maria", "document": "12345678909",
                      "destination": {"type": "PIX", "pix_key_type": "PHONE", "pix_key": "+5511987654321"}},
        },
        "idempotency_key": "k-1", "status": 202, "request_id": "r-1", "attempts": 1, "raw": "{}",
    })
    assert payout.status == "ON_HOLD" and payout.status.name == "UNKNOWN"
    assert payout.amount == Decimal("10.50") and payout.internal_code is None
    assert payout.idempotency_key == "k-1" and payout.request_id == "r-1"
    text = repr(payout)
    assert "+5511987654321" not in text and "+5511***21" in text and "M***" in text


def test_webhook_data_follows_the_cores_dispatch() -> None:
    body = json.dumps({
        "eventType": "CASHOUT_COMPLETED",
        "eventAt": "2026-03-10T14:22:18Z",
        "data": {"transactionId": "t-2", "status": "COMPLETED", "amount": 5,
                 "payee": {"name": "Jo Ann", "document": "12345678909"}},
    }).encode()
    signature = hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
    event = connectpsp.Webhook.construct_event(payload=body, signature=signature, crypto_token=KEY)
    assert event.event_type is EventType.CASHOUT_COMPLETED
    assert isinstance(event.data, CashOut) and event.data.amount == Decimal("5.00")
    assert "12345678909" not in repr(event) and "J*** A***" in repr(event)
    unknown = WebhookEvent._from_json({"event_type": "CASHIN_EXPIRED", "event_at": "x", "data": {"a": 1}, "dedupe_key": "d"}, "{}")
    assert unknown.event_type.name == "UNKNOWN" and unknown.data == {"a": 1}
    paid = WebhookEvent._from_json({"event_type": "CASHIN_PAID", "event_at": "x", "data": {"transaction_id": "t", "status": "PAID", "amount": "1.00"}, "dedupe_key": "d"}, "{}")
    assert isinstance(paid.data, CashIn)


def test_results_of_real_calls_are_masked(client: connectpsp.Client) -> None:
    payout = client.cash_out.create(
        amount="1.00",
        external_reference=reference(),
        payee={"name": "Beatriz Lima", "document": "12345678909",
               "destination": {"type": "BANK_ACCOUNT",
                               "bank_account": {"ispb": "18236120", "branch": "0001", "account": "947710840", "account_type": "PAYMENT"}}},
    )
    text = repr(payout)
    assert "Beatriz" not in text and "947710840" not in text and "12345678909" not in text
    assert payout.payee is not None and payout.payee.name == "Beatriz Lima"
