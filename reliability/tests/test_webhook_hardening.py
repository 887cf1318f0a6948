"""Webhook hardening in the Python package: every malformed or forged signature is refused,
one changed byte anywhere is caught, oversize bodies are refused, either hex case is accepted,
and redeliveries (a new X-Event-Id each time) share one dedupe key."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from typing import Any

import pytest
from conftest import client_kwargs

import connectpsp

KEY = "whsec-reliability-test-key"
BODY = json.dumps(
    {
        "eventType": "CASHOUT_COMPLETED",
        "eventAt": "2026-03-10T14:00:00Z",
        "data": {
            "transactionId": "7b1e6f0a-3c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "externalReference": "wd-42",
            "status": "COMPLETED",
            "amount": 50.00,
            "endToEndId": "E1393589320260310140012345678901",
        },
    },
    separators=(",", ":"),
).encode().replace(b"50.0", b"50.00")


def sign(body: bytes, key: str = KEY) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def construct(body: bytes, signature: str, key: str = KEY) -> Any:
    return connectpsp.Webhook.construct_event(payload=body, signature=signature, crypto_token=key)


def test_a_genuine_event_in_either_hex_case():
    for signature in (sign(BODY), sign(BODY).upper()):
        event = construct(BODY, signature)
        assert event.event_type == "CASHOUT_COMPLETED"
        assert event.dedupe_key == "CASHOUT_COMPLETED:7b1e6f0a-3c2d-4e5f-8a9b-0c1d2e3f4a5b:COMPLETED"


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "   ",
        "not-hex",
        sign(BODY)[:-1],  # 63 characters
        sign(BODY) + "0",  # 65 characters
        "g" + sign(BODY)[1:],  # a non-hex character
        "sha256=" + sign(BODY),  # a prefix this API does not use
        sign(BODY)[:32],
        "00" * 32,
        sign(BODY, "wrong-key"),
        sign(BODY, KEY + " "),
        sign(BODY + b"\n"),
    ],
    ids=["empty", "blank", "not-hex", "63", "65", "non-hex-char", "prefixed", "half", "zeros", "wrong-key",
         "key-plus-space", "signed-other-body"],
)
def test_bad_signatures_are_refused(signature):
    with pytest.raises(connectpsp.WebhookSignatureError):
        construct(BODY, signature)


def test_a_missing_header_is_refused_by_the_client_helper(sandbox):
    client = connectpsp.Client(**client_kwargs(sandbox))
    body = BODY
    good = sign(body, sandbox.credentials.crypto_token)
    assert client.webhooks.construct_event(body, {"x-connect-signature": good}).event_type == "CASHOUT_COMPLETED"
    for headers in ({}, {"X-Connect-Signature": ""}, {"X-Other": good}):
        with pytest.raises(connectpsp.WebhookSignatureError):
            client.webhooks.construct_event(body, headers)


def test_every_single_byte_change_is_caught():
    signature = sign(BODY)
    for i in range(len(BODY)):
        changed = bytearray(BODY)
        changed[i] ^= 0x01
        with pytest.raises(connectpsp.WebhookSignatureError):
            construct(bytes(changed), signature)
    for altered in (BODY + b" ", BODY[:-1], b" " + BODY, BODY.replace(b"50.00", b"50.0")):
        with pytest.raises(connectpsp.WebhookSignatureError):
            construct(altered, signature)


def test_bodies_over_1_mb_are_refused_even_when_correctly_signed():
    limit = 1024 * 1024
    padded = BODY[:-1] + b',"pad":"' + b"x" * (limit - len(BODY) - 9) + b'"}'
    assert len(padded) == limit
    assert construct(padded, sign(padded)).event_type == "CASHOUT_COMPLETED"
    over = padded[:-2] + b'x"}'
    assert len(over) == limit + 1
    with pytest.raises(connectpsp.WebhookSignatureError) as caught:
        construct(over, sign(over))
    assert "larger" in str(caught.value)


def test_text_bodies_are_refused_so_nobody_verifies_re_serialised_json():
    with pytest.raises(TypeError):
        construct(BODY.decode(), sign(BODY))  # type: ignore[arg-type]


def test_redeliveries_share_one_dedupe_key(sandbox):
    """A receiver that fails the first delivery of each event: the sandbox retries with a new
    X-Event-Id and the same signed body; the dedupe key sees one event per state change."""
    deliveries: list[tuple[str, bytes, str]] = []
    seen_event_types: set[str] = set()

    class FlakyReceiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            deliveries.append((self.headers["X-Event-Id"], body, self.headers["X-Connect-Signature"]))
            event_type = json.loads(body)["eventType"]
            first = event_type not in seen_event_types
            seen_event_types.add(event_type)
            self.send_response(500 if first else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = connectpsp.Client(**client_kwargs(sandbox))
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        charge = client.cash_in.create(amount="10.00", external_reference="dedupe-1",
                                       payer={"name": "Ana", "document": "12345678909"}, webhook_url=url)
        sandbox.control("POST", f"/_sandbox/cash-in/{charge.transaction_id}/pay")
        client.cash_in.refund(charge.transaction_id, reason="CUSTOMER_REQUEST")
        sandbox.wait_until(lambda: len(deliveries) >= 4, 20, "two events, each delivered twice")
    finally:
        server.shutdown()
        server.server_close()

    # The dedupe helper as the framework examples use it: process each key once.
    processed: dict[str, int] = {}
    for _, body, signature in deliveries:
        event = client.webhooks.construct_event(body, {"X-Connect-Signature": signature})
        processed[event.dedupe_key] = processed.get(event.dedupe_key, 0) + 1
    assert len({event_id for event_id, _, _ in deliveries}) == len(deliveries), "X-Event-Id must change"
    assert processed == {
        f"CASHIN_PAID:{charge.transaction_id}:PAID": 2,
        f"CASHIN_REFUNDED:{charge.transaction_id}:REFUNDED": 2,
    }
