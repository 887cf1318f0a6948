"""Every exception class, each produced for real (sandbox answers, faults, a closed port)."""

from __future__ import annotations

import builtins
import pickle
import socket
import time
from decimal import Decimal
from typing import Any

import pytest
from conftest import PAYEE, PAYER, RequestWindow, reference, vectors

import connectpsp
from connectpsp.testing import Sandbox


def test_hierarchy() -> None:
    assert issubclass(connectpsp.ValidationError, ValueError)
    assert issubclass(connectpsp.TimeoutError, builtins.TimeoutError)
    assert issubclass(connectpsp.ConnectionError, builtins.ConnectionError)
    assert issubclass(connectpsp.InsufficientFundsError, connectpsp.BusinessRuleError)
    for name in (
        "ValidationError", "AuthenticationError", "SignatureError", "NotFoundError", "ConflictError",
        "BusinessRuleError", "InsufficientFundsError", "RateLimitError", "ServerError", "TimeoutError",
        "ConnectionError", "DecodeError", "WebhookSignatureError",
    ):
        assert issubclass(getattr(connectpsp, name), connectpsp.ConnectPSPError)


def test_validation_error_for_a_float_amount(client: connectpsp.Client, window: RequestWindow) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.cash_in.create(amount=150.5, external_reference=reference(), payer=PAYER)  # type: ignore[arg-type]
    error = caught.value
    assert error.field == "amount"
    assert "Decimal or str" in str(error)
    assert error.attempts == 0 and error.status is None
    assert window.requests() == []


def test_authentication_error(sandbox: Sandbox) -> None:
    options: dict[str, Any] = {**sandbox.credentials.as_kwargs(), "client_secret": "not-the-secret"}
    with connectpsp.Client(**options, base_url=sandbox.base_url) as bad:
        with pytest.raises(connectpsp.AuthenticationError) as caught:
            bad.account.balance()
    assert caught.value.status == 401
    assert caught.value.code == "INVALID_CREDENTIALS"
    assert "not-the-secret" not in repr(caught.value) + str(caught.value)


def test_signature_error(sandbox: Sandbox) -> None:
    options: dict[str, Any] = {**sandbox.credentials.as_kwargs(), "crypto_token": "wrong-crypto-token"}
    with connectpsp.Client(**options, base_url=sandbox.base_url) as bad:
        with pytest.raises(connectpsp.SignatureError) as caught:
            bad.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    assert caught.value.status == 422
    assert caught.value.code == "INVALID_SIGNATURE"
    assert caught.value.idempotency_key is not None


def test_not_found_error(client: connectpsp.Client) -> None:
    with pytest.raises(connectpsp.NotFoundError) as caught:
        client.cash_out.get("NOPE0000000")
    assert caught.value.status == 404
    assert caught.value.request_id


def test_conflict_error_on_duplicate_external_reference(client: connectpsp.Client) -> None:
    ref = reference("dup")
    client.cash_out.create(amount="1.00", external_reference=ref, payee=PAYEE)
    with pytest.raises(connectpsp.ConflictError) as caught:
        client.cash_out.create(amount="1.00", external_reference=ref, payee=PAYEE)
    assert caught.value.status == 409


def test_conflict_error_on_key_reused_with_another_body(client: connectpsp.Client) -> None:
    key = connectpsp.idempotency_key_for(reference("reuse"))
    client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER, idempotency_key=key)
    with pytest.raises(connectpsp.ConflictError) as caught:
        client.cash_in.create(amount="2.00", external_reference=reference(), payer=PAYER, idempotency_key=key)
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert caught.value.idempotency_key == key


def test_business_rule_error(client: connectpsp.Client) -> None:
    unpaid = client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)
    with pytest.raises(connectpsp.BusinessRuleError) as caught:
        client.cash_in.refund(unpaid.transaction_id, reason="CUSTOMER_REQUEST")
    assert type(caught.value) is connectpsp.BusinessRuleError
    assert caught.value.code == "CASH_IN_NOT_PAID"
    assert caught.value.status == 422


def test_insufficient_funds_error(client: connectpsp.Client) -> None:
    with pytest.raises(connectpsp.InsufficientFundsError) as caught:
        client.cash_out.create(amount=Decimal("9999999999.99"), external_reference=reference(), payee=PAYEE)
    assert caught.value.code == "INSUFFICIENT_FUNDS"
    assert caught.value.detail


def test_rate_limit_error(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="rate_limit", method="GET", path="/account/balance", retry_after_seconds=7, count=1)
    with sandbox.client(max_retries=0) as c, pytest.raises(connectpsp.RateLimitError) as caught:
        c.account.balance()
    assert caught.value.status == 429
    assert caught.value.retry_after == 7.0


def test_server_error_after_the_retry_budget(sandbox: Sandbox, window: RequestWindow) -> None:
    sandbox.inject_faults(kind="status", status=500, method="GET", path="/account/balance", count=2)
    with sandbox.client(max_retries=1) as c, pytest.raises(connectpsp.ServerError) as caught:
        c.account.balance()
    assert caught.value.status == 500
    assert caught.value.attempts == 2
    assert window.count("GET", "/account/balance") == 2


def test_timeout_error(sandbox: Sandbox) -> None:
    since = sandbox.last_request_seq()
    sandbox.inject_faults(kind="latency", latency_ms=2000, method="GET", path="/account/balance", count=1)
    with sandbox.client(timeout=0.3, max_retries=0) as c, pytest.raises(connectpsp.TimeoutError) as caught:
        c.account.balance()
    assert isinstance(caught.value, builtins.TimeoutError)
    assert caught.value.outcome_unknown is False  # a read: nothing can have happened twice
    # The sandbox finishes the request the client gave up on and journals it then: wait for it,
    # or it lands in the request window of a later test.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if any(r["path"] == "/account/balance" for r in sandbox.requests(since=since)):
            break
        time.sleep(0.05)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_connection_error_before_sending(sandbox: Sandbox) -> None:
    options: dict[str, Any] = {**sandbox.credentials.as_kwargs(), "base_url": f"http://127.0.0.1:{_closed_port()}"}
    with connectpsp.Client(**options, max_retries=1) as c, pytest.raises(connectpsp.ConnectionError) as caught:
        c.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    assert isinstance(caught.value, builtins.ConnectionError)
    assert caught.value.outcome_unknown is False  # nothing left the machine


def test_connection_error_with_unknown_outcome_then_safe_resubmit(sandbox: Sandbox) -> None:
    ref = reference("drop")
    sandbox.inject_faults(kind="commit_then_drop", method="POST", path="/cash-out", count=1)
    with sandbox.client(max_retries=0) as c:
        with pytest.raises(connectpsp.ConnectionError) as caught:
            c.cash_out.create(amount="4.20", external_reference=ref, payee=PAYEE)
        error = caught.value
        assert error.outcome_unknown is True
        assert error.idempotency_key
        assert "re-submit" in str(error)
        again = c.cash_out.create(amount="4.20", external_reference=ref, payee=PAYEE, idempotency_key=error.idempotency_key)
        # the same, without re-typing the call: the client remembers it with its key
        resubmitted = c.resubmit(error)
        assert resubmitted.transaction_id == again.transaction_id
    assert again.external_reference == ref
    assert [t["externalReference"] for t in sandbox.transactions()].count(ref) == 1


def _lose_a_payout(sandbox: Sandbox, ref: str) -> str:
    """A payout the sandbox applied whose answer never came: returns the key the caller saved."""
    sandbox.inject_faults(kind="commit_then_drop", method="POST", path="/cash-out", count=1)
    with sandbox.client(max_retries=0) as c, pytest.raises(connectpsp.ConnectionError) as caught:
        c.cash_out.create(amount="4.30", external_reference=ref, payee=PAYEE)
    assert caught.value.outcome_unknown is True
    key = caught.value.idempotency_key
    assert key
    return key


def test_a_refused_resend_with_a_saved_key_and_possibly_applied_is_outcome_unknown(sandbox: Sandbox) -> None:
    """After a restart the caller re-sends with the key it saved; the API refuses that re-send
    before doing anything (a 429). The original exists, so the refusal must not read as a
    definitive failure: ``possibly_applied=True`` makes it outcome unknown, with the key."""
    ref = reference("saved-key")
    saved = _lose_a_payout(sandbox, ref)
    sandbox.inject_faults(kind="rate_limit", method="POST", path="/cash-out", retry_after_seconds=1, count=2)
    with sandbox.client(max_retries=0) as restarted:
        with pytest.raises(connectpsp.RateLimitError) as caught:
            restarted.cash_out.create(
                amount="4.30", external_reference=ref, payee=PAYEE, idempotency_key=saved, possibly_applied=True
            )
        assert caught.value.outcome_unknown is True
        assert caught.value.idempotency_key == saved
        # Without the mark the same refusal looks definitive: what the option is for.
        with pytest.raises(connectpsp.RateLimitError) as plain:
            restarted.cash_out.create(amount="4.30", external_reference=ref, payee=PAYEE, idempotency_key=saved)
        assert plain.value.outcome_unknown is False
        resolved = restarted.cash_out.create(
            amount="4.30", external_reference=ref, payee=PAYEE, idempotency_key=saved, possibly_applied=True
        )
    assert resolved.idempotency_key == saved
    assert resolved.replayed is True
    assert [t["externalReference"] for t in sandbox.transactions()].count(ref) == 1


async def test_possibly_applied_on_the_async_client(sandbox: Sandbox) -> None:
    ref = reference("saved-key-async")
    saved = _lose_a_payout(sandbox, ref)
    sandbox.inject_faults(kind="rate_limit", method="POST", path="/cash-out", retry_after_seconds=1, count=1)
    async with sandbox.async_client(max_retries=0) as restarted:
        with pytest.raises(connectpsp.RateLimitError) as caught:
            await restarted.cash_out.create(
                amount="4.30", external_reference=ref, payee=PAYEE, idempotency_key=saved, possibly_applied=True
            )
        assert caught.value.outcome_unknown is True
        assert caught.value.idempotency_key == saved
        resolved = await restarted.cash_out.create(
            amount="4.30", external_reference=ref, payee=PAYEE, idempotency_key=saved, possibly_applied=True
        )
    assert resolved.replayed is True
    assert [t["externalReference"] for t in sandbox.transactions()].count(ref) == 1


def test_possibly_applied_needs_the_saved_key(client: connectpsp.Client, window: RequestWindow) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE, possibly_applied=True)
    assert caught.value.field == "idempotency_key"
    with pytest.raises(connectpsp.ValidationError) as wrong:
        client.cash_in.refund("US7B1JQ", reason="CUSTOMER_REQUEST", idempotency_key=connectpsp.idempotency_key_for("r"),
                              possibly_applied="yes")  # type: ignore[arg-type]
    assert wrong.value.field == "possibly_applied"
    assert window.requests() == []


def test_decode_and_webhook_signature_errors() -> None:
    data = vectors("webhooks.json")
    by_expectation = {case["expect"]: case for case in data["cases"]}
    decode = by_expectation["decode"]
    with pytest.raises(connectpsp.DecodeError):
        connectpsp.Webhook.construct_event(
            payload=decode["body"].encode(), signature=decode["signature"], crypto_token=data["cryptoToken"]
        )
    bad = by_expectation["webhook_signature"]
    with pytest.raises(connectpsp.WebhookSignatureError):
        connectpsp.Webhook.construct_event(
            payload=bad["body"].encode(), signature=bad["signature"], crypto_token=data["cryptoToken"]
        )


def test_errors_pickle_with_their_attributes(client: connectpsp.Client) -> None:
    with pytest.raises(connectpsp.NotFoundError) as caught:
        client.cash_in.get("MISSING1")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is connectpsp.NotFoundError
    assert (copy.status, copy.code, copy.request_id) == (caught.value.status, caught.value.code, caught.value.request_id)
