"""schemathesis hooks for docs/openapi.yaml against the sandbox (mk/conformance.mk).

- Auth: a real token from POST /auth/token, the ApplicationToken, and the DigitalSignature
  (lowercase hex HMAC-SHA256 of the token keyed with the CryptoToken) on every call.
- Formats the schema names but JSON Schema cannot check: CPF/CNPJ with modulus-11 check digits,
  the PIX e-mail and phone key forms. Strategies generate valid values, so positive cases are
  really positive; other strings still reach the sandbox through the negative phase.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import string
import urllib.request
import uuid

import schemathesis
from hypothesis import strategies as st

BASE_URL = os.environ["CONFORMANCE_BASE_URL"]
CLIENT_ID = os.environ["CONFORMANCE_CLIENT_ID"]
CLIENT_SECRET = os.environ["CONFORMANCE_CLIENT_SECRET"]
APPLICATION_TOKEN = os.environ["CONFORMANCE_APPLICATION_TOKEN"]
CRYPTO_TOKEN = os.environ["CONFORMANCE_CRYPTO_TOKEN"]


@schemathesis.auth(refresh_interval=600)
class SandboxToken:
    def get(self, case, context):
        body = json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}).encode()
        request = urllib.request.Request(
            f"{BASE_URL}/auth/token", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["accessToken"]

    def set(self, case, data, context):
        signature = hmac.new(CRYPTO_TOKEN.encode(), data.encode(), hashlib.sha256).hexdigest()
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
        case.headers["ApplicationToken"] = APPLICATION_TOKEN
        case.headers["DigitalSignature"] = signature


def _check_digit(values, weights):
    remainder = sum(v * w for v, w in zip(values, weights)) % 11
    return 0 if remainder < 2 else 11 - remainder


def _cpf(body: str) -> str:
    values = [int(c) for c in body]
    d1 = _check_digit(values, range(10, 1, -1))
    d2 = _check_digit(values + [d1], range(11, 1, -1))
    return f"{body}{d1}{d2}"


def _cnpj(body: str) -> str:
    values = [ord(c) - 48 for c in body]
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    d1 = _check_digit(values, weights)
    d2 = _check_digit(values + [d1], [6] + weights)
    return f"{body}{d1}{d2}"


_CPF = st.text(string.digits, min_size=9, max_size=9).filter(lambda b: len(set(b)) > 1).map(_cpf)
_CNPJ = (
    st.text(string.digits + string.ascii_uppercase, min_size=12, max_size=12)
    .filter(lambda b: set(b) != {"0"})
    .map(_cnpj)
)
_LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
_EMAIL = st.builds(lambda user, host, tld: f"{user}@{host}.{tld}", _LABEL, _LABEL, st.sampled_from(["com", "com.br", "org"]))
# DDDs in use start with 1-9 and end with 1-9 (e.g. 11, 21, 61); mobile numbers have 9 digits starting with 9.
_DDD = st.sampled_from(["11", "21", "31", "41", "51", "61", "71", "81", "91", "85"])
_PHONE = st.builds(lambda ddd, rest: f"+55{ddd}9{rest}", _DDD, st.text(string.digits, min_size=8, max_size=8))

schemathesis.openapi.format("cpf", _CPF)
schemathesis.openapi.format("cnpj", _CNPJ)
schemathesis.openapi.format("cpf-cnpj", st.one_of(_CPF, _CNPJ))
schemathesis.openapi.format("pix-email", _EMAIL)
schemathesis.openapi.format("pix-phone", _PHONE)


@schemathesis.hook
def map_case(context, case):
    """A positive case gets its own externalReference and idempotency key: the examples repeat
    the documented ones, which the sandbox (rightly) answers with 409 or with the first answer,
    so without this most positive cases would never reach a 201/202 to check."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if str(mode) != "positive":
        return case
    unique = uuid.uuid4()
    if isinstance(case.body, dict) and isinstance(case.body.get("externalReference"), str):
        case.body["externalReference"] = f"{case.body['externalReference'][:115]}-{unique.hex[:12]}"
    if case.headers and "X-Idempotency-Key" in case.headers:
        case.headers["X-Idempotency-Key"] = str(unique)
    return case
