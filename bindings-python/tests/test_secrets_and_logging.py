"""No secret (client secret, crypto token, access token) and no full CPF/CNPJ in any repr, str,
log line or exception text; one log line per HTTP attempt."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from conftest import PAYEE, PAYER, reference

import connectpsp
from connectpsp.testing import Sandbox

CPF = "12345678909"


def forbidden(sandbox: Sandbox) -> list[str]:
    c = sandbox.credentials
    return [c.client_secret, c.crypto_token, "Bearer", "eyJ", CPF]


def assert_clean(text: str, sandbox: Sandbox) -> None:
    for secret in forbidden(sandbox):
        assert secret not in text, f"{secret!r} leaked into {text!r}"


def test_log_lines_per_attempt(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="connectpsp")
    sandbox.inject_faults(kind="status", status=503, method="POST", path="/cash-out", count=1)
    with sandbox.client() as client:
        payout = client.cash_out.create(amount="3.00", external_reference=reference("log"), payee=PAYEE)
    lines = [r for r in caplog.records if r.name == "connectpsp"]
    messages = [r.getMessage() for r in lines]
    assert any(m.startswith("POST /auth/token -> 200") for m in messages), messages
    posts = [m for m in messages if m.startswith("POST /cash-out")]
    assert len(posts) == 2, messages
    assert "-> 503" in posts[0] and "(attempt 2," in posts[1] and "-> 202" in posts[1]
    assert all(payout.idempotency_key and payout.idempotency_key in m for m in posts)
    assert re.search(r"in \d+ ms", posts[1])
    assert {r.levelno for r in lines if "-> 503" in r.getMessage()} == {logging.INFO}
    assert {r.levelno for r in lines if "-> 202" in r.getMessage()} == {logging.DEBUG}
    for m in messages:
        assert_clean(m, sandbox)


def test_failed_calls_are_logged_too(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="connectpsp")
    options: dict[str, Any] = {**sandbox.credentials.as_kwargs(), "client_secret": "wrong-secret-value"}
    with connectpsp.Client(**options, base_url=sandbox.base_url) as bad, pytest.raises(connectpsp.AuthenticationError):
        bad.account.balance()
    messages = [r.getMessage() for r in caplog.records if r.name == "connectpsp"]
    assert messages == [m for m in messages if "/auth/token -> 401" in m] and messages
    assert all("wrong-secret-value" not in m for m in messages)


def test_no_secret_in_reprs_and_errors(sandbox: Sandbox) -> None:
    texts: list[str] = []
    with sandbox.client() as client:
        texts += [repr(client), str(client), repr(sandbox), repr(sandbox.credentials)]
        charge = client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)
        payout = client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
        texts += [repr(charge), str(charge), repr(payout), str(payout), repr(charge.payer), repr(payout.payee)]
        for call in (
            lambda: client.cash_in.get("NOPE1234"),
            lambda: client.cash_out.create(amount="1.00", external_reference=reference(), payee={**PAYEE, "document": "123"}),
            lambda: client.cash_in.create(amount=1.5, external_reference="x", payer=PAYER),  # type: ignore[arg-type]
        ):
            with pytest.raises(connectpsp.ConnectPSPError) as caught:
                call()
            texts += [repr(caught.value), str(caught.value), str(vars(caught.value))]
    options: dict[str, Any] = {**sandbox.credentials.as_kwargs(), "crypto_token": "bad\ncrypto"}
    with pytest.raises(connectpsp.ValidationError) as bad_config:
        connectpsp.Client(**options, base_url=sandbox.base_url)
    texts += [repr(bad_config.value), str(bad_config.value)]
    assert "bad\ncrypto" not in "".join(texts)
    for text in texts:
        assert_clean(text, sandbox)


def test_documents_and_keys_are_masked_in_reprs(client: connectpsp.Client) -> None:
    payout = client.cash_out.create(
        amount="1.00",
        external_reference=reference(),
        payee={"name": "Ana", "document": "11222333000181", "destination": {"type": "PIX", "pix_key_type": "EMAIL", "pix_key": "ana.souza@example.com"}},
    )
    text = repr(payout)
    assert "11222333000181" not in text and "11.***.***/****-81" in text
    assert "ana.souza@example.com" not in text and "a***@example.com" in text
    # the data itself is intact
    assert payout.payee is not None and payout.payee.document == "11222333000181"
