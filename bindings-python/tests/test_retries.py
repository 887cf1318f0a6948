"""Retries under injected faults keep the same idempotency key, so nothing is paid twice."""

from __future__ import annotations

from conftest import PAYEE, PAYER, RequestWindow, reference

import connectpsp
from connectpsp.testing import Sandbox


def test_503_then_success_with_the_same_key(sandbox: Sandbox, window: RequestWindow) -> None:
    sandbox.inject_faults(kind="status", status=503, method="POST", path="/cash-out", count=2)
    ref = reference("r503")
    with sandbox.client(max_retries=2) as client:
        payout = client.cash_out.create(amount="9.99", external_reference=ref, payee=PAYEE)
    assert payout.attempts == 3
    posts = [r for r in window.requests() if r["method"] == "POST" and r["path"] == "/cash-out"]
    assert [r["status"] for r in posts] == [503, 503, 202]
    assert {r["idempotencyKey"] for r in posts} == {payout.idempotency_key}
    assert [t["externalReference"] for t in sandbox.transactions()].count(ref) == 1


def test_commit_then_drop_is_retried_and_replayed(sandbox: Sandbox, window: RequestWindow) -> None:
    # The server does the work, then closes the connection: the retry with the same key gets
    # the stored answer instead of creating a second payout.
    sandbox.inject_faults(kind="commit_then_drop", method="POST", path="/cash-out", count=1)
    ref = reference("drop")
    with sandbox.client(max_retries=2) as client:
        payout = client.cash_out.create(amount="77.00", external_reference=ref, payee=PAYEE)
    posts = [r for r in window.requests() if r["method"] == "POST" and r["path"] == "/cash-out"]
    assert len(posts) == 2 and posts[0]["dropped"] is True
    assert posts[0]["idempotencyKey"] == posts[1]["idempotencyKey"] == payout.idempotency_key
    assert [t["externalReference"] for t in sandbox.transactions()].count(ref) == 1


def test_rate_limit_honours_retry_after(sandbox: Sandbox, window: RequestWindow) -> None:
    import time

    sandbox.inject_faults(kind="rate_limit", retry_after_seconds=1, method="POST", path="/cash-in", count=1)
    started = time.monotonic()
    with sandbox.client() as client:
        charge = client.cash_in.create(amount="2.00", external_reference=reference("429"), payer=PAYER)
    assert time.monotonic() - started >= 0.9
    posts = [r for r in window.requests() if r["path"] == "/cash-in"]
    assert [r["status"] for r in posts] == [429, 201]
    assert posts[0]["idempotencyKey"] == charge.idempotency_key


async def test_async_retries_keep_the_key(sandbox: Sandbox, window: RequestWindow) -> None:
    sandbox.inject_faults(kind="status", status=502, method="POST", path="/cash-in", count=1)
    async with sandbox.async_client() as client:
        charge = await client.cash_in.create(amount="2.50", external_reference=reference("a502"), payer=PAYER)
    posts = [r for r in window.requests() if r["path"] == "/cash-in"]
    assert [r["status"] for r in posts] == [502, 201]
    assert {r["idempotencyKey"] for r in posts} == {charge.idempotency_key}


def test_no_retry_without_budget(sandbox: Sandbox, window: RequestWindow) -> None:
    sandbox.inject_faults(kind="status", status=503, method="GET", path="/account/balance", count=1)
    with sandbox.client(max_retries=0) as client:
        try:
            client.account.balance()
        except connectpsp.ServerError as error:
            assert error.status == 503 and error.attempts == 1
        else:
            raise AssertionError("expected a ServerError")
    assert window.count("GET", "/account/balance") == 1
