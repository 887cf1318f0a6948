"""`client.cash_out.wait(id)` / `client.cash_in.wait(id)`: poll until the transaction leaves its
pending state (the core's policy), return it; on timeout a TimeoutError carrying the last state."""

from __future__ import annotations

import builtins
import threading
import time

import pytest
from conftest import PAYEE, PAYER, RequestWindow, reference

import connectpsp
from connectpsp.testing import Sandbox


def later(seconds: float, action: object) -> threading.Timer:
    timer = threading.Timer(seconds, action)  # type: ignore[arg-type]
    timer.start()
    return timer


def test_cash_out_wait_returns_the_settled_payout(client: connectpsp.Client, sandbox: Sandbox, window: RequestWindow) -> None:
    payout = client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    later(1.5, lambda: sandbox.complete_cash_out(payout.transaction_id))
    started = time.monotonic()
    settled = client.cash_out.wait(payout.transaction_id, timeout=20)
    assert settled.status == connectpsp.CashOutStatus.COMPLETED
    assert time.monotonic() - started < 6
    polls = window.count("GET", f"/cash-out/{payout.transaction_id}")
    assert 2 <= polls <= 4  # a growing interval from 1 s, not a busy loop


def test_cash_out_wait_times_out_with_the_last_state(client: connectpsp.Client) -> None:
    payout = client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    started = time.monotonic()
    with pytest.raises(connectpsp.TimeoutError) as caught:
        client.cash_out.wait(payout.transaction_id, timeout=1.2)
    assert 1.1 < time.monotonic() - started < 3
    assert isinstance(caught.value, builtins.TimeoutError)
    last = getattr(caught.value, "last_seen")
    assert isinstance(last, connectpsp.CashOut) and last.status == connectpsp.CashOutStatus.PROCESSING
    assert last.transaction_id == payout.transaction_id


def test_cash_in_wait_returns_the_paid_charge(client: connectpsp.Client, sandbox: Sandbox) -> None:
    charge = client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)
    later(0.5, lambda: sandbox.pay_cash_in(charge.transaction_id))
    assert client.cash_in.wait(charge.transaction_id, timeout=20).status == connectpsp.CashInStatus.PAID


async def test_async_wait(aclient: connectpsp.AsyncClient, sandbox: Sandbox) -> None:
    payout = await aclient.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    later(0.5, lambda: sandbox.fail_cash_out(payout.transaction_id))
    settled = await aclient.cash_out.wait(payout.transaction_id, timeout=20)
    assert settled.status == connectpsp.CashOutStatus.FAILED and settled.failure is not None
