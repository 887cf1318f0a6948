"""Shared tokens across processes: ``token_store=`` on both clients, the Redis store against a
real redis-server (Debian's, started here on a free port and stopped after), and a store that
fails, which must never fail a call."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from typing import Any, Iterator, Optional

import pytest
import redis
import redis.asyncio

from conftest import PAYEE, RequestWindow, reference

import connectpsp
from connectpsp import _token_sync
from connectpsp.testing import Sandbox
from connectpsp.token_store import AsyncRedisTokenStore, InMemoryTokenStore, RedisTokenStore

KEY_PREFIX = "connectpsp:token:v1:"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server: make tools-python-apt)")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = redis.Redis(port=port, socket_timeout=1)
        for _ in range(100):
            try:
                if probe.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer PING within 5 s")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def r(redis_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=redis_port, socket_timeout=1)
    client.flushall()
    yield client
    client.close()


def _entry(r: redis.Redis) -> tuple[str, dict[str, Any], int]:
    keys = [k.decode() if isinstance(k, bytes) else str(k) for k in r.keys("*")]
    assert len(keys) == 1, keys
    value = r.get(keys[0])
    assert isinstance(value, bytes)
    return keys[0], json.loads(value), int(r.ttl(keys[0]))


_CHILD = """
import os, sys
import connectpsp, redis
from connectpsp.token_store import RedisTokenStore
store = RedisTokenStore(redis.Redis(port=int(os.environ["REDIS_PORT"]), socket_timeout=1))
client = connectpsp.Client(client_id=os.environ["CID"], client_secret=os.environ["CSECRET"],
                           application_token=os.environ["CAPP"], crypto_token=os.environ["CCRYPTO"],
                           base_url=os.environ["CURL"], token_store=store)
print(client.account.balance().currency)
"""


def _child_process(sandbox: Sandbox, redis_port: int) -> str:
    c = sandbox.credentials
    env = {
        **os.environ,
        "REDIS_PORT": str(redis_port),
        "CID": c.client_id,
        "CSECRET": c.client_secret,
        "CAPP": c.application_token,
        "CCRYPTO": c.crypto_token,
        "CURL": sandbox.base_url,
    }
    done = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_processes_share_one_token_through_redis(sandbox: Sandbox, redis_port: int, r: redis.Redis) -> None:
    window = RequestWindow(sandbox)
    assert _child_process(sandbox, redis_port) == "BRL"
    assert _child_process(sandbox, redis_port) == "BRL"
    assert window.count("POST", "/auth/token") == 1
    assert window.count("GET", "/account/balance") == 2
    key, value, ttl = _entry(r)
    # The key is derived from the base URL and client id, and names neither (nor any secret).
    assert key.startswith(KEY_PREFIX) and len(key) == len(KEY_PREFIX) + 32
    assert sandbox.credentials.client_id not in key
    # The value: the access token and its wall-clock expiry; the entry dies with the token.
    assert set(value) == {"accessToken", "expiresAt"}
    assert 3500 <= ttl <= 3600
    assert abs(value["expiresAt"] / 1000 - (time.time() + ttl)) < 5


def test_without_a_store_each_client_fetches_its_own_token(sandbox: Sandbox, window: RequestWindow) -> None:
    # The default (no store: the token in the client's memory) is unchanged.
    with sandbox.client() as a, sandbox.client() as b:
        a.account.balance()
        b.account.balance()
    assert window.count("POST", "/auth/token") == 2


def test_clients_of_one_process_share_an_in_memory_store(sandbox: Sandbox, window: RequestWindow) -> None:
    store = InMemoryTokenStore()
    with sandbox.client(token_store=store) as a, sandbox.client(token_store=store) as b:
        a.account.balance()
        b.account.balance()
        a.account.balance()
    assert window.count("POST", "/auth/token") == 1
    assert "accessToken" not in repr(store)


def test_a_rejected_stored_token_is_refreshed_once_and_written_back(
    sandbox: Sandbox, redis_port: int, r: redis.Redis
) -> None:
    with sandbox.client(token_store=RedisTokenStore(r)) as first:
        first.account.balance()
    _, before, _ = _entry(r)
    # The token the store holds is still valid by its expiry, but the API now refuses it: the
    # sandbox's clock moves past the token's hour.
    sandbox.advance_clock(3600 + 60)
    window = RequestWindow(sandbox)
    with sandbox.client(token_store=RedisTokenStore(r)) as second:
        assert second.account.balance().currency == "BRL"
    statuses = [q["status"] for q in window.requests() if q["path"] == "/account/balance"]
    assert statuses == [401, 200]
    assert window.count("POST", "/auth/token") == 1
    _, after, _ = _entry(r)
    assert after["accessToken"] != before["accessToken"]
    # The next process takes the new token: no exchange, no 401.
    window = RequestWindow(sandbox)
    with sandbox.client(token_store=RedisTokenStore(r)) as third:
        third.account.balance()
    assert window.count("POST", "/auth/token") == 0
    assert [q["status"] for q in window.requests()] == [200]


async def test_async_clients_share_through_redis_asyncio(
    sandbox: Sandbox, redis_port: int, r: redis.Redis
) -> None:
    window = RequestWindow(sandbox)
    for _ in range(2):
        ar = redis.asyncio.Redis(port=redis_port, socket_timeout=1)
        try:
            async with sandbox.async_client(token_store=AsyncRedisTokenStore(ar)) as client:
                results = await asyncio.gather(*(client.account.balance() for _ in range(10)))
                assert {b.currency for b in results} == {"BRL"}
        finally:
            await ar.aclose()
    assert window.count("POST", "/auth/token") == 1
    assert window.count("GET", "/account/balance") == 20


class CountingStore(InMemoryTokenStore):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0
        self.sets = 0

    def get(self, key: str) -> Optional[str]:
        self.gets += 1
        time.sleep(0.02)  # a network round trip: the other threads arrive meanwhile
        return super().get(key)

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        self.sets += 1
        super().set(key, value, ttl_seconds)


def test_concurrent_calls_read_the_store_once(sandbox: Sandbox, window: RequestWindow) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = CountingStore()
    # An empty store: the 20 concurrent calls of a fresh client share one read (then the core's
    # single flight fetches one token).
    with sandbox.client(token_store=store) as a, ThreadPoolExecutor(20) as pool:
        assert set(pool.map(lambda _: a.account.balance().currency, range(20))) == {"BRL"}
    assert (store.gets, store.sets) == (1, 1)
    # A stored token: one read for the 20 calls of the next client, nothing new to write.
    with sandbox.client(token_store=store) as b, ThreadPoolExecutor(20) as pool:
        assert set(pool.map(lambda _: b.account.balance().currency, range(20))) == {"BRL"}
    assert window.count("POST", "/auth/token") == 1
    assert (store.gets, store.sets) == (2, 1)


class BrokenStore:
    def get(self, key: str) -> Optional[str]:
        raise RuntimeError("store is down")

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        raise RuntimeError(f"cannot write {value}")  # quotes the value: must not be logged


def test_a_failing_store_never_fails_a_call(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    with sandbox.client(token_store=BrokenStore()) as client:
        payout = client.cash_out.create(
            amount="1.00",
            external_reference=f"store-{time.time_ns()}",
            payee={
                "name": "Maria Silva",
                "document": "12345678909",
                "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
            },
        )
        assert payout.status == "PROCESSING"
    assert window.count("POST", "/auth/token") == 1
    assert window.count("POST", "/cash-out") == 1
    text = caplog.text
    assert "token store get failed" in text and "store is down" in text
    assert "token store set failed" in text
    assert "accessToken" not in text and "cannot write" not in text


class GarbageStore(InMemoryTokenStore):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def get(self, key: str) -> Any:
        return self.value


@pytest.mark.parametrize(
    "value",
    ["eyJ.not-an-entry", json.dumps({"accessToken": "bad token\r\n", "expiresAt": 2**52}), 42, b"\xff"],
)
def test_an_unreadable_value_is_ignored(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture, value: Any
) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    with sandbox.client(token_store=GarbageStore(value)) as client:
        assert client.account.balance().currency == "BRL"
    assert window.count("POST", "/auth/token") == 1
    assert "token store" in caplog.text
    assert "not-an-entry" not in caplog.text and "bad token" not in caplog.text


class SlowAsyncStore:
    async def get(self, key: str) -> Optional[str]:
        await asyncio.sleep(30)
        return None

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        await asyncio.sleep(30)


async def test_a_hanging_async_store_is_abandoned(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_token_sync, "_TIMEOUT_S", 0.2)
    caplog.set_level(logging.WARNING, logger="connectpsp")
    started = time.monotonic()
    async with sandbox.async_client(token_store=SlowAsyncStore()) as client:
        assert (await client.account.balance()).currency == "BRL"
    assert time.monotonic() - started < 5
    assert window.count("POST", "/auth/token") == 1
    assert "token store get took over" in caplog.text and "token store set took over" in caplog.text


def test_a_store_without_the_methods_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(TypeError, match="token_store"):
        sandbox.client(token_store=object())


def test_an_async_store_on_the_sync_client_is_refused_at_each_use_not_fatal(
    sandbox: Sandbox, window: RequestWindow, caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    caplog.set_level(logging.WARNING, logger="connectpsp")
    with sandbox.client(token_store=SlowAsyncStore()) as client:
        assert client.account.balance().currency == "BRL"
    assert window.count("POST", "/auth/token") == 1
    assert "get failed" in caplog.text and "async ones need AsyncClient" in caplog.text
    assert "set failed; other processes fetch their own token (TypeError)" in caplog.text
    # The coroutines were closed, not left for the garbage collector to warn about.
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


# --- a slow store never holds a call up ---------------------------------------------------------

SLOW_S = 1.5


class LaggingAsyncStore:
    """An async store whose reads or writes take SLOW_S; ``writes`` counts what was written."""

    def __init__(self, *, slow_get: bool = False, slow_set: bool = False) -> None:
        self.entries: dict[str, str] = {}
        self.writes = 0
        self.slow_get, self.slow_set = slow_get, slow_set

    async def get(self, key: str) -> Optional[str]:
        if self.slow_get:
            await asyncio.sleep(SLOW_S)
        return self.entries.get(key)

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        if self.slow_set:
            await asyncio.sleep(SLOW_S)
        self.entries[key] = value
        self.writes += 1


class LaggingStore:
    """The sync twin of ``LaggingAsyncStore`` (slow writes)."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.writes = 0

    def get(self, key: str) -> Optional[str]:
        return self.entries.get(key)

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        time.sleep(SLOW_S)
        self.entries[key] = value
        self.writes += 1


async def test_cancelling_a_call_that_waits_for_the_store_read_is_prompt(sandbox: Sandbox, window: RequestWindow) -> None:
    async with sandbox.async_client(token_store=LaggingAsyncStore(slow_get=True)) as client:
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(
                client.cash_out.create(amount="1.00", external_reference=reference("slow-get"), payee=PAYEE), 0.1
            )
        assert time.monotonic() - started < 0.6
    assert window.requests() == []


async def test_the_deadline_bounds_the_wait_for_the_store_read(sandbox: Sandbox, window: RequestWindow) -> None:
    async with sandbox.async_client(token_store=LaggingAsyncStore(slow_get=True)) as client:
        started = time.monotonic()
        with pytest.raises(connectpsp.TimeoutError):
            await client.account.balance(deadline=0.3)
        assert time.monotonic() - started < 0.9
    assert window.requests() == []


async def test_an_async_error_does_not_wait_for_a_slow_write_which_still_happens(sandbox: Sandbox) -> None:
    store = LaggingAsyncStore(slow_set=True)
    sandbox.inject_faults(kind="status", status=503, method="GET", path="/account/balance", count=1)
    client = sandbox.async_client(token_store=store, max_retries=0)
    started = time.monotonic()
    with pytest.raises(connectpsp.ServerError):
        await client.account.balance()
    assert time.monotonic() - started < SLOW_S - 0.5, "the error waited for the store"
    assert store.writes == 0
    await client.aclose()  # waits for the write of the token the failed call fetched
    assert store.writes == 1
    assert time.monotonic() - started >= SLOW_S - 0.05


def test_a_sync_error_does_not_wait_for_a_slow_write_which_still_happens(sandbox: Sandbox) -> None:
    store = LaggingStore()
    sandbox.inject_faults(kind="status", status=503, method="GET", path="/account/balance", count=1)
    client = sandbox.client(token_store=store, max_retries=0)
    started = time.monotonic()
    with pytest.raises(connectpsp.ServerError):
        client.account.balance()
    assert time.monotonic() - started < SLOW_S - 0.5, "the error waited for the store"
    client.close()  # waits for the write of the token the failed call fetched
    assert store.writes == 1
