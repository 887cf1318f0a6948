"""Webhook verification: the shared vectors, and real deliveries from the sandbox to a local
receiver that verifies them with the client's crypto token."""

from __future__ import annotations

import http.server
import queue
import threading
import time
from decimal import Decimal
from typing import Any, Iterator

import pytest
from conftest import PAYEE, PAYER, reference, vectors

import connectpsp
from connectpsp import CashIn, CashOut, EventType
from connectpsp.testing import Sandbox

DATA = vectors("webhooks.json")
KEY = DATA["cryptoToken"]


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_vectors(case: dict[str, Any]) -> None:
    body = case["body"].encode("utf-8")
    if case["expect"] == "webhook_signature":
        with pytest.raises(connectpsp.WebhookSignatureError):
            connectpsp.Webhook.construct_event(payload=body, signature=case["signature"], crypto_token=KEY)
        return
    if case["expect"] == "decode":
        with pytest.raises(connectpsp.DecodeError):
            connectpsp.Webhook.construct_event(payload=body, signature=case["signature"], crypto_token=KEY)
        return
    event = connectpsp.Webhook.construct_event(payload=body, signature=case["signature"], crypto_token=KEY)
    assert event.event_type == case["eventType"]
    assert event.dedupe_key == case["dedupeKey"]
    assert event.raw == case["body"]
    if case["expect"] == "unknown":
        assert event.event_type.name == "UNKNOWN"
        assert isinstance(event.data, dict) and event.data["transaction_id"] == case["transactionId"]
        return
    assert isinstance(event.data, (CashIn, CashOut))
    assert event.data.transaction_id == case["transactionId"]
    assert event.data.status == case["status"]
    assert event.data.amount == Decimal(case["amount"])


def test_one_byte_tampered_body_and_wrong_key_are_refused() -> None:
    case = next(c for c in DATA["cases"] if c["name"] == "CASHIN_PAID")
    body = bytearray(case["body"].encode())
    connectpsp.Webhook.construct_event(payload=bytes(body), signature=case["signature"], crypto_token=KEY)
    for i in (0, len(body) // 2, len(body) - 1):
        tampered = bytearray(body)
        tampered[i] ^= 0x01
        with pytest.raises(connectpsp.WebhookSignatureError):
            connectpsp.Webhook.construct_event(payload=bytes(tampered), signature=case["signature"], crypto_token=KEY)
    with pytest.raises(connectpsp.WebhookSignatureError) as caught:
        connectpsp.Webhook.construct_event(payload=bytes(body), signature=case["signature"], crypto_token=KEY + "x")
    assert KEY not in str(caught.value) + repr(caught.value)


def test_a_str_body_is_refused_with_advice() -> None:
    with pytest.raises(TypeError, match="raw request body as bytes"):
        connectpsp.Webhook.construct_event(payload="{}", signature="00", crypto_token=KEY)  # type: ignore[arg-type]


class Receiver:
    """A local webhook endpoint that records (headers, raw body) of every delivery."""

    def __init__(self) -> None:
        deliveries: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        self.deliveries = deliveries

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                deliveries.put((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self) -> tuple[dict[str, str], bytes]:
        return self.deliveries.get(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_real_deliveries_verify_with_the_client(client: connectpsp.Client, sandbox: Sandbox, receiver: Receiver) -> None:
    charge = client.cash_in.create(amount="33.10", external_reference=reference("wh"), payer=PAYER, webhook_url=receiver.url)
    sandbox.pay_cash_in(charge.transaction_id)
    headers, body = receiver.next()
    event = client.webhooks.construct_event(body, headers)
    assert event.event_type is EventType.CASHIN_PAID
    assert isinstance(event.data, CashIn)
    assert event.data.transaction_id == charge.transaction_id
    assert event.data.amount == Decimal("33.10")
    assert event.dedupe_key == f"CASHIN_PAID:{charge.transaction_id}:PAID"
    # header names in any case
    lowered = {k.lower(): v for k, v in headers.items()}
    assert client.webhooks.construct_event(body, lowered).dedupe_key == event.dedupe_key
    # one byte changed
    tampered = body.replace(b"33.10", b"33.11")
    assert tampered != body
    with pytest.raises(connectpsp.WebhookSignatureError):
        client.webhooks.construct_event(tampered, headers)
    # no signature header at all
    with pytest.raises(connectpsp.WebhookSignatureError):
        client.webhooks.construct_event(body, {"Content-Type": "application/json"})


def test_cash_out_events(client: connectpsp.Client, sandbox: Sandbox, receiver: Receiver) -> None:
    payout = client.cash_out.create(amount="8.00", external_reference=reference("whco"), payee=PAYEE, webhook_url=receiver.url)
    sandbox.fail_cash_out(payout.transaction_id, code="PIX_KEY_NOT_FOUND")
    headers, body = receiver.next()
    signature = {k.lower(): v for k, v in headers.items()}[connectpsp.SIGNATURE_HEADER.lower()]
    event = connectpsp.Webhook.construct_event(
        payload=body, signature=signature, crypto_token=sandbox.credentials.crypto_token
    )
    assert event.event_type is EventType.CASHOUT_FAILED
    assert isinstance(event.data, CashOut)
    assert event.data.failure is not None and event.data.failure.code == "PIX_KEY_NOT_FOUND"
    # the sandbox journals a delivery once the receiver's answer is in: poll briefly
    deadline = time.monotonic() + 5
    deliveries: list[dict[str, Any]] = []
    while not deliveries and time.monotonic() < deadline:
        deliveries = [d for d in sandbox.webhook_deliveries() if d["transactionId"] == payout.transaction_id]
        time.sleep(0.02)
    assert deliveries and deliveries[0]["delivered"] is True
