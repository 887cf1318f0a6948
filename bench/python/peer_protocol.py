"""The protocol work a careful engineer writes by hand around any HTTP library.

Shared by the hand-written peers (httpx, aiohttp, requests) so that each of them does exactly
the same work as the SDK per call: a cached token (refreshed before expiry, one refresh at a
time), the DigitalSignature computed once per token with `hmac`, a fresh uuid4 idempotency key
per call, a JSON body whose amount is a decimal number (never a float), a status check, and a
JSON response parsed with Decimal amounts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TWO_PLACES = Decimal("0.01")


class PeerError(Exception):
    """A non-2xx answer. Carries the status and the problem code, never a header or a secret."""

    def __init__(self, status: int, body: bytes):
        code = ""
        try:
            code = str(json.loads(body).get("code", ""))
        except (ValueError, AttributeError):
            pass
        super().__init__(f"HTTP {status} {code}".strip())
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    application_token: str
    crypto_token: str

    def token_request(self) -> bytes:
        return json.dumps({"clientId": self.client_id, "clientSecret": self.client_secret}).encode()


@dataclass(frozen=True)
class Token:
    """Everything derived from one access token, computed once when it is fetched."""

    headers: dict[str, str]
    refresh_at: float  # time.monotonic() after which a new token is fetched

    @classmethod
    def from_response(cls, body: bytes, credentials: Credentials) -> Token:
        parsed = json.loads(body)
        access_token = parsed["accessToken"]
        lifetime = float(parsed["expiresIn"])
        signature = hmac.new(credentials.crypto_token.encode(), access_token.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Authorization": f"Bearer {access_token}",
            "ApplicationToken": credentials.application_token,
            "DigitalSignature": signature,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        # Same margin as the SDK: refresh when less than min(60 s, lifetime / 4) remains.
        return cls(headers, time.monotonic() + lifetime - min(60.0, lifetime / 4))

    def fresh(self) -> bool:
        return time.monotonic() < self.refresh_at


def cash_out_body(amount: Decimal, external_reference: str, description: str, payee: dict[str, Any]) -> bytes:
    """The cash-out JSON with the amount as a number with two decimals (`1.00`).

    `json.dumps` has no way to write a Decimal as a number, so the amount is written first by
    hand and the rest of the object is appended: exact, and no float ever exists.
    """
    amount = amount.quantize(TWO_PLACES)
    rest = json.dumps(
        {"externalReference": external_reference, "description": description, "payee": payee},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f'{{"amount":{amount},{rest[1:]}'.encode()


def request_headers(token: Token) -> dict[str, str]:
    return {**token.headers, "X-Idempotency-Key": str(uuid.uuid4())}


def parse_resource(status: int, body: bytes) -> dict[str, Any]:
    if not 200 <= status < 300:
        raise PeerError(status, body)
    resource: dict[str, Any] = json.loads(body, parse_float=Decimal)
    if not resource.get("transactionId"):
        raise PeerError(status, b'{"code":"NO_TRANSACTION_ID"}')
    return resource


def pix_payee(name: str, document: str) -> dict[str, Any]:
    return {
        "name": name,
        "document": document,
        "destination": {"type": "PIX", "pixKeyType": "CPF", "pixKey": document},
    }
