"""Per-call overrides: keyword-only `timeout`, `deadline` and `max_retries` on every resource
method, sync and async, carried to the core's per-call limits."""

from __future__ import annotations

import time

import pytest
from conftest import PAYEE, PAYER, RequestWindow, reference

import connectpsp
from connectpsp.testing import Sandbox


def test_timeout_per_call(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="latency", latency_ms=1500, method="GET", path="/account/balance", count=1)
    with sandbox.client(timeout=10.0) as client:
        client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)  # token first
        started = time.monotonic()
        with pytest.raises(connectpsp.TimeoutError):
            client.account.balance(timeout=0.3, max_retries=0)
        assert time.monotonic() - started < 1.2
        assert client.account.balance().currency == "BRL"  # the client's own settings again


def test_max_retries_per_call(sandbox: Sandbox, window: RequestWindow) -> None:
    with sandbox.client(max_retries=3) as client:
        sandbox.inject_faults(kind="status", status=503, method="POST", path="/cash-out", count=1)
        with pytest.raises(connectpsp.ServerError) as caught:
            client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE, max_retries=0)
        assert caught.value.attempts == 1
        sandbox.inject_faults(kind="status", status=503, method="POST", path="/cash-out", count=1)
        payout = client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
        assert payout.attempts == 2


def test_deadline_per_call(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="rate_limit", retry_after_seconds=5, method="GET", path="/account/balance", count=1)
    with sandbox.client(deadline=60.0) as client:
        started = time.monotonic()
        with pytest.raises((connectpsp.TimeoutError, connectpsp.RateLimitError)):
            client.account.balance(deadline=1.0)
        assert time.monotonic() - started < 2.5


async def test_async_per_call_options(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="latency", latency_ms=1500, method="GET", path="/cash-in/", count=1)
    async with sandbox.async_client(timeout=10.0) as client:
        charge = await client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)
        sandbox.inject_faults(kind="latency", latency_ms=1500, method="GET", count=1)
        started = time.monotonic()
        with pytest.raises(connectpsp.TimeoutError):
            await client.cash_in.get(charge.transaction_id, timeout=0.3, max_retries=0)
        assert time.monotonic() - started < 1.2


@pytest.mark.parametrize("options", [{"timeout": -1}, {"timeout": 0}, {"max_retries": -1}, {"deadline": 10**9}])
def test_bad_overrides_are_refused_before_sending(options: dict[str, float], client: connectpsp.Client, window: RequestWindow) -> None:
    with pytest.raises(connectpsp.ValidationError) as caught:
        client.account.balance(**options)  # type: ignore[arg-type]
    # The core names the millisecond field it checks (`deadline_ms`) for values it bounds.
    assert (caught.value.field or "").startswith(next(iter(options)))
    assert window.requests() == []
