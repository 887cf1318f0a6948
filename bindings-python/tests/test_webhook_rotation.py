"""Webhook key rotation at the client: ``webhook_crypto_tokens=[new, old]`` and
``webhook_tolerance=`` on both clients, and per-delivery overrides of ``client.webhooks``."""

from __future__ import annotations

import pytest

import connectpsp
from connectpsp.testing import Sandbox, webhook_event, webhook_signature

DATA = {"transaction_id": "T9", "status": "PAID", "amount": "3.00"}


def _signed(token: str) -> tuple[bytes, dict[str, str]]:
    return webhook_event("CASHIN_PAID", DATA, token)


def _stale(token: str) -> tuple[bytes, str]:
    body, _ = _signed(token)
    stale = body.replace(b'"eventAt":"', b'"eventAt":"2020-01-01T00:00:00Z","x":"')
    return stale, webhook_signature(stale, token)


def test_by_default_only_the_clients_crypto_token_verifies(sandbox: Sandbox) -> None:
    own = sandbox.credentials.crypto_token
    with sandbox.client() as client:
        body, headers = _signed(own)
        data = client.webhooks.construct_event(body, headers).data
        assert isinstance(data, connectpsp.CashIn) and data.transaction_id == "T9"
        body, headers = _signed("old-token")
        with pytest.raises(connectpsp.WebhookSignatureError):
            client.webhooks.construct_event(body, headers)


def test_a_client_with_a_rotation_list_accepts_each_listed_token(sandbox: Sandbox) -> None:
    with sandbox.client(webhook_crypto_tokens=["new-token", "old-token"]) as client:
        for token in ("new-token", "old-token"):
            body, headers = _signed(token)
            assert isinstance(client.webhooks.construct_event(body, headers).data, connectpsp.CashIn)
        body, headers = _signed("another-token")
        with pytest.raises(connectpsp.WebhookSignatureError):
            client.webhooks.construct_event(body, headers)
        # The list replaces the request-signing token for webhooks (it is not implied).
        body, headers = _signed(sandbox.credentials.crypto_token)
        with pytest.raises(connectpsp.WebhookSignatureError):
            client.webhooks.construct_event(body, headers)
        # Requests are still signed with crypto_token: a signed call succeeds.
        balance = client.account.balance().consolidated.transactional_balance
        assert client.account.rebalance(target_amount=balance).success is True


async def test_the_async_client_takes_the_same_options(sandbox: Sandbox) -> None:
    async with sandbox.async_client(webhook_crypto_tokens=("new-token", "old-token"), webhook_tolerance=300) as client:
        body, headers = _signed("old-token")
        assert client.webhooks.construct_event(body, headers).event_type == connectpsp.EventType.CASHIN_PAID
        stale, signature = _stale("old-token")
        with pytest.raises(connectpsp.WebhookSignatureError, match="tolerance"):
            client.webhooks.construct_event(stale, signature)


def test_client_tolerance_and_per_call_overrides(sandbox: Sandbox) -> None:
    own = sandbox.credentials.crypto_token
    stale, signature = _stale(own)
    with sandbox.client() as plain:
        assert plain.webhooks.construct_event(stale, signature).data  # no tolerance by default
        with pytest.raises(connectpsp.WebhookSignatureError, match="tolerance"):
            plain.webhooks.construct_event(stale, signature, tolerance=300)
    with sandbox.client(webhook_tolerance=300) as strict:
        with pytest.raises(connectpsp.WebhookSignatureError, match="tolerance"):
            strict.webhooks.construct_event(stale, signature)
        # A longer tolerance for this delivery (say, a redelivery after an outage).
        assert strict.webhooks.construct_event(stale, signature, tolerance=10 * 365 * 86400).data
        body, headers = _signed("old-token")
        assert strict.webhooks.construct_event(body, headers, crypto_token=[own, "old-token"]).data
        with pytest.raises(connectpsp.WebhookSignatureError):
            strict.webhooks.construct_event(body, headers, crypto_token=own)


def test_an_empty_or_oversized_list_is_refused_at_construction(sandbox: Sandbox) -> None:
    with pytest.raises(connectpsp.ValidationError) as empty_entry:
        sandbox.client(webhook_crypto_tokens=["new-token", ""])
    assert empty_entry.value.field == "webhook_crypto_tokens[1]"
    with pytest.raises(connectpsp.ValidationError) as empty_list:
        sandbox.client(webhook_crypto_tokens=[])
    assert empty_list.value.field == "webhook_crypto_tokens"
    with pytest.raises(connectpsp.ValidationError) as too_many:
        sandbox.client(webhook_crypto_tokens=[f"t{i}" for i in range(9)])
    assert too_many.value.field == "webhook_crypto_tokens"
    with pytest.raises(connectpsp.ValidationError) as zero:
        sandbox.client(webhook_tolerance=0)
    assert zero.value.field == "webhook_tolerance_ms"
    with pytest.raises(TypeError):
        sandbox.client(webhook_crypto_tokens=[b"bytes"])
    # The tokens never reach the error text.
    with pytest.raises(connectpsp.ValidationError) as bad:
        sandbox.client(webhook_crypto_tokens=["zz-secret\r\nzz"])
    assert "zz-secret" not in str(bad.value)
