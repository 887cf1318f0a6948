"""A money-moving call abandoned after its request may have been sent (task.cancel,
asyncio.wait_for / asyncio.timeout, Ctrl-C) keeps its idempotency key: one WARNING names the call
and the key, and the exception carries it (PEP 678 note + attributes). Re-submitting with that
key finds the original payout instead of paying twice."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

import pytest
from conftest import PAYEE, PAYER, RequestWindow, reference

import connectpsp
from connectpsp.testing import Sandbox


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "connectpsp" and r.levelno == logging.WARNING]


def assert_carries_key(exc: BaseException, key: str) -> None:
    notes = getattr(exc, "__notes__", [])
    assert any(key in note and "cash_out.create" in note for note in notes), notes
    assert getattr(exc, "idempotency_key", None) == key
    assert getattr(exc, "outcome_unknown", None) is True


def sent_keys(window: RequestWindow) -> list[Any]:
    return [r.get("idempotencyKey") for r in window.requests() if r["method"] == "POST" and r["path"] == "/cash-out"]


async def test_wait_for_timeout_keeps_the_key(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    # The sandbox commits the payout after 1.5 s although the client has gone by then.
    sandbox.inject_faults(kind="latency", latency_ms=1500, method="POST", path="/cash-out", count=1)
    ref = reference("cancel")
    async with sandbox.async_client(timeout=10.0) as client:
        await client.account.balance()  # the token first, so the payout is what is in flight
        with pytest.raises(asyncio.TimeoutError) as raised:
            await asyncio.wait_for(
                client.cash_out.create(amount="2.00", external_reference=ref, payee=PAYEE), timeout=0.4
            )
        cancellation = raised.value.__cause__ or raised.value.__context__
        assert isinstance(cancellation, asyncio.CancelledError)
        key = getattr(cancellation, "idempotency_key")
        assert isinstance(key, str) and key
        assert_carries_key(cancellation, key)
        messages = warnings_of(caplog)
        assert len(messages) == 1 and key in messages[0] and "cash_out.create" in messages[0], messages
        await asyncio.sleep(1.6)  # the abandoned request reaches its end at the sandbox
        assert sent_keys(window) == [key]  # (logged by the sandbox once handled)
        # Re-submitted with the key: the original payout, not a second one.
        again = await client.cash_out.create(amount="2.00", external_reference=ref, payee=PAYEE, idempotency_key=key)
        assert again.external_reference == ref
    assert sum(1 for t in sandbox.transactions() if t["externalReference"] == ref) == 1


async def test_task_cancel_keeps_the_key(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    sandbox.inject_faults(kind="latency", latency_ms=1000, method="POST", path="/cash-in", count=1)
    async with sandbox.async_client(timeout=10.0) as client:
        await client.account.balance()
        task = asyncio.create_task(client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as raised:
            await task
    key = getattr(raised.value, "idempotency_key")
    notes = getattr(raised.value, "__notes__", [])
    assert any(key in n and "cash_in.create" in n for n in notes), notes
    assert [m for m in warnings_of(caplog) if key in m and "cash_in.create" in m] == warnings_of(caplog)
    assert len(warnings_of(caplog)) == 1


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is Python 3.11+")
async def test_asyncio_timeout_keeps_the_key(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    sandbox.inject_faults(kind="latency", latency_ms=1000, method="POST", path="/cash-out", count=1)
    async with sandbox.async_client(timeout=10.0) as client:
        await client.account.balance()
        with pytest.raises(TimeoutError) as raised:
            async with asyncio.timeout(0.3):  # type: ignore[attr-defined,unused-ignore]
                await client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    cancellation = raised.value.__cause__
    assert cancellation is not None
    assert_carries_key(cancellation, getattr(cancellation, "idempotency_key"))
    assert len(warnings_of(caplog)) == 1
    await asyncio.sleep(0.8)  # let the abandoned request finish at the sandbox


async def test_cancelled_before_sending_warns_nothing_and_never_sends(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    # A fresh client: its first step is the token exchange, held 0.8 s; the payout waits.
    sandbox.inject_faults(kind="latency", latency_ms=800, method="POST", path="/auth/token", count=1)
    ref = reference("unsent")
    async with sandbox.async_client(timeout=10.0) as client:
        task = asyncio.create_task(client.cash_out.create(amount="1.00", external_reference=ref, payee=PAYEE))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as raised:
            await task
        await asyncio.sleep(1.0)  # past the token answer: an orphaned loop would send now
    assert warnings_of(caplog) == []
    assert getattr(raised.value, "idempotency_key", None) is None
    assert [t for t in sandbox.transactions() if t["externalReference"] == ref] == []
    assert window.count("POST", "/auth/token") == 1


def test_ctrl_c_keeps_the_key(sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    caplog.set_level(logging.WARNING, logger="connectpsp")
    sandbox.inject_faults(kind="latency", latency_ms=1500, method="POST", path="/cash-out", count=1)
    with sandbox.client(timeout=10.0) as client:
        client.account.balance()
        timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt) as raised:
            client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
        assert time.monotonic() - started < 1.2
    key = getattr(raised.value, "idempotency_key")
    assert_carries_key(raised.value, key)
    time.sleep(1.5)  # the sandbox logs the request once handled
    assert sent_keys(window) == [key]
    messages = warnings_of(caplog)
    assert len(messages) == 1 and key in messages[0], messages


async def test_a_get_cancelled_warns_nothing(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    sandbox.inject_faults(kind="latency", latency_ms=1000, method="GET", path="/account/balance", count=1)
    async with sandbox.async_client(timeout=10.0) as client:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.account.balance(), timeout=0.3)
    assert warnings_of(caplog) == []


def test_a_finished_call_is_not_abandoned(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    with sandbox.client() as client:
        payout = client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    assert isinstance(payout, connectpsp.CashOut) and warnings_of(caplog) == []
