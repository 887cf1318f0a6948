"""Test helpers that sign webhooks as ConnectPSP does, key rotation (a list of crypto tokens) and
the eventAt tolerance, through the public API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import connectpsp
from connectpsp.testing import webhook_event, webhook_signature

TOKEN = "helper-crypto-token"


def test_webhook_event_round_trips_through_construct_event() -> None:
    data = {"transaction_id": "T1", "external_reference": "o-9", "status": "COMPLETED", "amount": Decimal("12.30")}
    body, headers = webhook_event("CASHOUT_COMPLETED", data, TOKEN)
    assert json.loads(body)["data"]["transactionId"] == "T1"  # the API's camelCase on the wire
    assert headers["X-Connect-Signature"] == webhook_signature(body, TOKEN)
    assert headers["X-Event-Id"] and headers["Content-Type"] == "application/json"
    event = connectpsp.Webhook.construct_event(payload=body, signature=headers["X-Connect-Signature"], crypto_token=TOKEN)
    assert event.event_type == connectpsp.EventType.CASHOUT_COMPLETED
    assert isinstance(event.data, connectpsp.CashOut)
    assert event.data.amount == Decimal("12.30") and event.data.transaction_id == "T1"
    with pytest.raises(connectpsp.WebhookSignatureError):
        connectpsp.Webhook.construct_event(payload=body + b" ", signature=headers["X-Connect-Signature"], crypto_token=TOKEN)


def test_the_signature_is_the_documented_hmac() -> None:
    import hashlib
    import hmac

    payload = b'{"eventType":"CASHIN_PAID"}'
    assert webhook_signature(payload, TOKEN) == hmac.new(TOKEN.encode(), payload, hashlib.sha256).hexdigest()


def test_key_rotation_accepts_any_listed_token() -> None:
    body, headers = webhook_event("CASHIN_PAID", {"transaction_id": "T2", "status": "PAID", "amount": "1.00"}, "old-token")
    signature = headers["X-Connect-Signature"]
    event = connectpsp.Webhook.construct_event(payload=body, signature=signature, crypto_token=["new-token", "old-token"])
    assert isinstance(event.data, connectpsp.CashIn)
    with pytest.raises(connectpsp.WebhookSignatureError):
        connectpsp.Webhook.construct_event(payload=body, signature=signature, crypto_token=["new-token"])


def test_tolerance_accepts_a_fresh_event_and_refuses_a_stale_one() -> None:
    body, headers = webhook_event("CASHIN_PAID", {"transaction_id": "T3", "status": "PAID", "amount": "1.00"}, TOKEN)
    sig = headers["X-Connect-Signature"]
    assert connectpsp.Webhook.construct_event(payload=body, signature=sig, crypto_token=TOKEN, tolerance=300).data
    stale = body.replace(b'"eventAt":"', b'"eventAt":"2020-01-01T00:00:00Z","x":"')
    with pytest.raises(connectpsp.WebhookSignatureError):
        connectpsp.Webhook.construct_event(payload=stale, signature=webhook_signature(stale, TOKEN), crypto_token=TOKEN, tolerance=300)
