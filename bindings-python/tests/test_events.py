"""Event hooks (`event_hooks={"request": [...], "response": [...]}`): one request and one
response event per API attempt, with the call's shape and fate only; a hook that raises is
logged and ignored (never fails or repeats a payout); async hooks on AsyncClient; the caller's
context is the hooks' context. And the replay flag on results."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

import pytest
from conftest import PAYEE, PAYER, RequestWindow, reference

import connectpsp
from connectpsp.testing import Sandbox


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def hooks(self) -> dict[str, list[Any]]:
        return {
            "request": [lambda e: self.events.append(("request", e))],
            "response": [lambda e: self.events.append(("response", e))],
        }


def test_events_of_a_retried_payout(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="status", status=503, method="POST", path="/cash-out", count=1)
    recorder = Recorder()
    with sandbox.client(event_hooks=recorder.hooks()) as client:
        payout = client.cash_out.create(amount="3.00", external_reference=reference("ev"), payee=PAYEE)
    kinds = [(kind, e.attempt) for kind, e in recorder.events]
    assert kinds == [("request", 1), ("response", 1), ("request", 2), ("response", 2)], recorder.events
    events = [e for _, e in recorder.events]
    assert {e.call_id for e in events} == {events[0].call_id}
    assert all(e.method == "POST" and e.path == "/cash-out" for e in events)
    assert all(e.idempotency_key == payout.idempotency_key for e in events)
    first, last = events[1], events[3]
    assert isinstance(first, connectpsp.ResponseEvent) and isinstance(last, connectpsp.ResponseEvent)
    assert (first.status, first.will_retry, first.outcome_unknown) == (503, True, False)
    assert (last.status, last.will_retry, last.outcome_unknown) == (202, False, False)
    assert last.elapsed_ms > 0 and last.request_id == payout.request_id
    assert not isinstance(events[0], connectpsp.ResponseEvent)


def test_path_templates_and_no_personal_data(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with sandbox.client(event_hooks=recorder.hooks()) as client:
        charge = client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)
        client.cash_in.get(charge.transaction_id)
    paths = [e.path for kind, e in recorder.events if kind == "request"]
    assert paths == ["/cash-in", "/cash-in/{id}"]
    c = sandbox.credentials
    for _, event in recorder.events:
        text = repr(event) + repr([getattr(event, n) for n in type(event).__slots__])
        for secret in (c.client_secret, c.crypto_token, c.application_token, "Bearer", PAYER["document"], PAYER["name"]):
            assert secret not in text
        assert charge.transaction_id not in text


def test_the_last_attempt_reports_an_unknown_outcome(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="commit_then_drop", method="POST", path="/cash-out", count=1)
    recorder = Recorder()
    with sandbox.client(event_hooks=recorder.hooks(), max_retries=0) as client:
        with pytest.raises(connectpsp.ConnectPSPError) as caught:
            client.cash_out.create(amount="1.00", external_reference=reference(), payee=PAYEE)
    assert caught.value.outcome_unknown
    last = recorder.events[-1][1]
    assert (last.status, last.failure, last.will_retry, last.outcome_unknown) == (None, "io", False, True)


def test_a_raising_hook_is_logged_and_ignored(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")

    def broken(event: Any) -> None:
        raise RuntimeError("hook bug")

    ref = reference("hook")
    with sandbox.client(event_hooks={"request": [broken], "response": [broken]}) as client:
        payout = client.cash_out.create(amount="1.00", external_reference=ref, payee=PAYEE)
    assert payout.external_reference == ref
    assert window.count("POST", "/cash-out") == 1  # neither failed nor repeated
    warnings = [r for r in caplog.records if r.name == "connectpsp" and r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("event hook raised RuntimeError" in r.getMessage() for r in warnings)


def test_bad_hooks_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown event 'requests'"):
        sandbox.client(event_hooks={"requests": [print]})
    with pytest.raises(TypeError, match="not callable"):
        sandbox.client(event_hooks={"request": ["print"]})


CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("current", default="-")


async def test_async_hooks_plain_and_awaitable_in_the_callers_context(sandbox: Sandbox) -> None:
    seen: list[tuple[str, str, int]] = []

    def plain(event: Any) -> None:
        seen.append(("plain", CURRENT.get(), event.attempt))

    async def awaited(event: Any) -> None:
        await asyncio.sleep(0.05)
        seen.append(("async", CURRENT.get(), event.attempt))

    async with sandbox.async_client(event_hooks={"request": [plain], "response": [awaited]}) as client:

        async def one(name: str) -> None:
            CURRENT.set(name)
            await client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)
            # the async hook finished before the call returned
            assert ("async", name, 1) in seen

        await asyncio.gather(one("a"), one("b"))
    assert sorted(seen) == [("async", "a", 1), ("async", "b", 1), ("plain", "a", 1), ("plain", "b", 1)]


def test_sync_client_refuses_async_hooks_without_failing(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")

    async def awaited(event: Any) -> None:
        pass

    with sandbox.client(event_hooks={"request": [awaited]}) as client:
        assert client.account.balance().currency == "BRL"
    assert any("plain callables" in r.getMessage() or "TypeError" in r.getMessage() for r in caplog.records)


def test_replayed_flag(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        ref = reference("replay")
        first = client.cash_out.create(amount="1.00", external_reference=ref, payee=PAYEE)
        again = client.cash_out.create(
            amount="1.00", external_reference=ref, payee=PAYEE, idempotency_key=first.idempotency_key
        )
        fetched = client.cash_out.get(first.transaction_id)
    assert first.replayed is False
    assert again.replayed is True and again.transaction_id == first.transaction_id
    assert fetched.replayed is False
