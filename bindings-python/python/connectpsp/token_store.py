"""Token stores: one access token shared by every process of a deployment.

Each ``Client`` fetches its own JWT (``POST /auth/token``) and refreshes it before it expires.
With many workers, or serverless functions that start cold, that is one token exchange per
process. Give the clients a shared ``token_store`` and they reuse one token::

    import redis
    from connectpsp.token_store import RedisTokenStore

    store = RedisTokenStore(redis.Redis(host="cache", socket_timeout=1))
    client = connectpsp.Client(..., token_store=store)

A store is any object with ``get(key) -> str | None`` and ``set(key, value, ttl_seconds)``
(``TokenStore``); an ``AsyncClient`` also accepts ``async def`` methods (``AsyncTokenStore``).
The client reads the store only when it would otherwise fetch a token, and writes after a call
that obtained a new one; the core still decides when to refresh and makes the refresh
single-flight inside each process (two processes starting at the same instant may still both
fetch one). Without a store (the default) the token lives in the client's memory, as before.

What is stored: under a key derived from the base URL and the client id (no secret), a value
holding the access token and its expiry, kept for the token's remaining lifetime. **The value
is a bearer secret**: use a store only your service can read (access-controlled Redis, not
shared with other tenants). The SDK never logs it.

A store that raises, times out or returns something else is logged (logger ``"connectpsp"``,
WARNING) and ignored: the call goes on with a normal token exchange. A store can never fail or
repeat a payout. Give a network store a short socket timeout: a synchronous ``get`` blocks the
calling thread (an asynchronous one is abandoned after ``TOKEN_STORE_TIMEOUT`` seconds).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Awaitable, Optional, Protocol, Union

from . import _native

__all__ = [
    "TokenStore",
    "AsyncTokenStore",
    "InMemoryTokenStore",
    "RedisTokenStore",
    "AsyncRedisTokenStore",
    "TOKEN_STORE_TIMEOUT",
]

#: Seconds an ``AsyncClient`` waits for an asynchronous store before going on without it.
TOKEN_STORE_TIMEOUT: float = _native.TOKEN_STORE_TIMEOUT_MS / 1000


class TokenStore(Protocol):
    """What ``Client(token_store=...)`` and ``AsyncClient(token_store=...)`` call."""

    def get(self, key: str) -> Optional[str]:
        """The value last ``set`` under ``key`` and not yet expired, else None."""
        ...

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        """Keep ``value`` under ``key`` for ``ttl_seconds`` (at least 1)."""
        ...


class AsyncTokenStore(Protocol):
    """A store with ``async def`` methods, for ``AsyncClient(token_store=...)``."""

    def get(self, key: str) -> Awaitable[Optional[str]]: ...

    def set(self, key: str, value: str, ttl_seconds: int) -> Awaitable[None]: ...


AnyTokenStore = Union[TokenStore, AsyncTokenStore]


class InMemoryTokenStore:
    """A store in this process's memory (thread-safe): shares one token between several
    clients of one process, and serves tests. Between processes use a shared store."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Optional[str]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[1] <= time.monotonic():
                del self._entries[key]
                return None
            return entry[0]

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        with self._lock:
            self._entries[key] = (value, time.monotonic() + ttl_seconds)

    def __repr__(self) -> str:
        # Never the values: they are access tokens.
        return f"InMemoryTokenStore({len(self._entries)} entries)"


def _text(value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    raise TypeError(f"the Redis client returned {type(value).__name__}, not bytes or str")


class RedisTokenStore:
    """The token store over a `redis-py <https://pypi.org/project/redis/>`_ client
    (``redis.Redis``, or a ``redis.Redis.from_url(...)``); for ``AsyncClient`` use
    ``AsyncRedisTokenStore`` with ``redis.asyncio.Redis``. ``prefix`` namespaces the key
    (``"myapp:"``). The entry expires with the token (``SET ... EX``)."""

    def __init__(self, redis: Any, *, prefix: str = "") -> None:
        self._redis = redis
        self._prefix = prefix

    def get(self, key: str) -> Optional[str]:
        return _text(self._redis.get(self._prefix + key))

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        self._redis.set(self._prefix + key, value, ex=ttl_seconds)

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self._prefix!r})"


class AsyncRedisTokenStore:
    """``RedisTokenStore`` for ``redis.asyncio.Redis`` (and ``AsyncClient``)."""

    def __init__(self, redis: Any, *, prefix: str = "") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> Optional[str]:
        return _text(await self._redis.get(self._prefix + key))

    async def set(self, key: str, value: str, ttl_seconds: int) -> None:
        await self._redis.set(self._prefix + key, value, ex=ttl_seconds)

    def __repr__(self) -> str:
        return f"AsyncRedisTokenStore(prefix={self._prefix!r})"
