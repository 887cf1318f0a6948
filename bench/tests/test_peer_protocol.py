"""The hand-written peers must do the protocol honestly: exact amounts, the documented
signature, a fresh idempotency key per call, a real status check."""

import json
import time
import uuid
from decimal import Decimal

import pytest

from peer_protocol import Credentials, PeerError, Token, cash_out_body, parse_resource, pix_payee, request_headers

# The vector of the API reference (§3.4), checked there against `openssl dgst -sha256 -hmac`.
ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjbGllbnQtMTIzIn0.dGVzdA"
CRYPTO_TOKEN = "test-crypto-token-0001"
SIGNATURE = "a76b22fac49b0808e807dda882d0efaab0a01ff16e48c570227176400756c7e6"
CREDENTIALS = Credentials("client-1", "secret-1", "app-guid", CRYPTO_TOKEN)


def token_body(expires_in: int) -> bytes:
    return json.dumps({"accessToken": ACCESS_TOKEN, "tokenType": "Bearer", "expiresIn": expires_in}).encode()


def test_signature_matches_the_reference_vector() -> None:
    token = Token.from_response(token_body(3600), CREDENTIALS)
    assert token.headers["DigitalSignature"] == SIGNATURE
    assert token.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert token.headers["ApplicationToken"] == "app-guid"


def test_refresh_margin_is_min_of_60_s_and_a_quarter_of_the_lifetime() -> None:
    now = time.monotonic()
    long_lived = Token.from_response(token_body(3600), CREDENTIALS)
    short_lived = Token.from_response(token_body(40), CREDENTIALS)
    assert long_lived.refresh_at == pytest.approx(now + 3540, abs=1)
    assert short_lived.refresh_at == pytest.approx(now + 30, abs=1)
    assert long_lived.fresh()
    assert not Token.from_response(token_body(0), CREDENTIALS).fresh()


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("1"), "1.00"), (Decimal("150.5"), "150.50"), (Decimal("9999999999.99"), "9999999999.99")],
)
def test_amount_is_a_json_number_with_two_decimals(amount: Decimal, text: str) -> None:
    body = cash_out_body(amount, "ref-1", "desc", pix_payee("Maria Silva", "12345678909"))
    assert body.startswith(b'{"amount":' + text.encode() + b",")
    parsed = json.loads(body, parse_float=Decimal)
    assert parsed["amount"] == amount
    assert parsed["externalReference"] == "ref-1"
    assert parsed["payee"]["destination"] == {"type": "PIX", "pixKeyType": "CPF", "pixKey": "12345678909"}


def test_every_call_gets_its_own_v4_idempotency_key() -> None:
    token = Token.from_response(token_body(3600), CREDENTIALS)
    keys = {request_headers(token)["X-Idempotency-Key"] for _ in range(100)}
    assert len(keys) == 100
    assert all(uuid.UUID(key).version == 4 for key in keys)


def test_non_2xx_raises_with_the_problem_code() -> None:
    with pytest.raises(PeerError) as raised:
        parse_resource(422, b'{"code":"INSUFFICIENT_FUNDS","status":422}')
    assert raised.value.status == 422 and raised.value.code == "INSUFFICIENT_FUNDS"
    with pytest.raises(PeerError):
        parse_resource(202, b'{"status":"PROCESSING"}')  # no transactionId: not a cash-out


def test_response_amounts_are_decimal() -> None:
    resource = parse_resource(202, b'{"transactionId":"t-1","amount":150.50}')
    assert resource["amount"] == Decimal("150.50") and isinstance(resource["amount"], Decimal)
