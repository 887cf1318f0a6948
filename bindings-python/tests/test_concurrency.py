"""Single-flight token refresh across threads and asyncio tasks, and GIL release."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from conftest import RequestWindow

import connectpsp
from connectpsp.testing import Sandbox

N = 100


def test_100_threads_on_a_fresh_client_fetch_one_token(sandbox: Sandbox, window: RequestWindow) -> None:
    with sandbox.client() as client:
        barrier = threading.Barrier(N)

        def call(_: int) -> Optional[str]:
            barrier.wait()
            return client.account.balance().currency

        with ThreadPoolExecutor(N) as pool:
            assert list(pool.map(call, range(N))) == ["BRL"] * N
    assert window.count("POST", "/auth/token") == 1
    assert window.count("GET", "/account/balance") == N


def test_100_threads_after_the_token_expired_fetch_one_token(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        client.account.balance()
        # The sandbox's tokens live an hour: move its clock past that, so the client's token
        # is refused with 401 TOKEN_EXPIRED by every one of the concurrent calls.
        sandbox.advance_clock(3600 + 60)
        window = RequestWindow(sandbox)
        barrier = threading.Barrier(N)

        def call(_: int) -> Optional[str]:
            barrier.wait()
            return client.account.balance().currency

        with ThreadPoolExecutor(N) as pool:
            assert list(pool.map(call, range(N))) == ["BRL"] * N
    assert window.count("POST", "/auth/token") == 1
    expired = [r for r in window.requests() if r["path"] == "/account/balance" and r["status"] == 401]
    assert len(expired) >= 1


async def test_100_tasks_on_a_fresh_client_fetch_one_token(sandbox: Sandbox, window: RequestWindow) -> None:
    async with sandbox.async_client() as client:
        results = await asyncio.gather(*(client.account.balance() for _ in range(N)))
    assert {r.currency for r in results} == {"BRL"}
    assert window.count("POST", "/auth/token") == 1


async def test_100_tasks_after_the_token_expired_fetch_one_token(sandbox: Sandbox) -> None:
    async with sandbox.async_client() as client:
        await client.account.balance()
        sandbox.advance_clock(3600 + 60)
        window = RequestWindow(sandbox)
        results = await asyncio.gather(*(client.account.balance() for _ in range(N)))
    assert len(results) == N
    assert window.count("POST", "/auth/token") == 1


def test_the_gil_is_released_while_waiting(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="latency", latency_ms=500, method="GET", path="/account/balance", count=4)
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.005)

    with sandbox.client() as client:
        t = threading.Thread(target=ticker)
        t.start()
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: client.account.balance(), range(4)))
        elapsed = time.monotonic() - started
        stop.set()
        t.join()
    # four 0.5 s calls in parallel, not in series, and the ticker kept running meanwhile
    assert elapsed < 1.5, elapsed
    assert ticks > 40, ticks


async def test_the_event_loop_keeps_running_during_a_call(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="latency", latency_ms=400, method="GET", path="/account/balance", count=1)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async with sandbox.async_client() as client:
        task = asyncio.create_task(ticker())
        await client.account.balance()
        task.cancel()
    assert ticks >= 20
