"""Moves a client's access token between its native session and a ``token_store``.

The core decides everything: when the session wants a token (``wants_token``), whether a
stored one may be adopted (fresher than the current one, not the one the API last rejected),
what the key and the value are. This only calls the store on the caller's thread (or event
loop) and makes sure a store can never fail a call: whatever it raises is logged and ignored.
The value holds the access token: it is never logged, and neither is an exception message
from ``set`` (it could quote what was written).
"""

from __future__ import annotations

import inspect
import threading
from typing import Any, Optional

from . import _native

_TIMEOUT_S = _native.TOKEN_STORE_TIMEOUT_MS / 1000


def _warn(message: str, *args: object) -> None:
    import logging  # only when there is something to say (as in _attempt_log.py)

    logging.getLogger("connectpsp").warning(message, *args)


def _describe(error: BaseException) -> str:
    text = str(error)
    return type(error).__name__ + (f": {text[:200]}" if text else "")


def _plain(result: Any) -> Any:
    """What a store method returned to the sync ``Client``: an awaitable (an async store) cannot
    be awaited there, so it is closed (no "never awaited" warning) and refused."""
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if callable(close):
            close()
        raise TypeError("Client needs a store with plain methods (async ones need AsyncClient)")
    return result


class TokenSync:
    """One client's link to its store. Thread-safe; the async methods serve one event loop at
    a time (a second loop gets its own lock)."""

    def __init__(self, native: _native.NativeClient, store: Any) -> None:
        for method in ("get", "set"):
            if not callable(getattr(store, method, None)):
                raise TypeError(
                    f"token_store must have get(key) and set(key, value, ttl_seconds) methods; "
                    f"{type(store).__name__} has no {method}()"
                )
        self._native = native
        self._store = store
        self._key = native.token_store_key
        self._reset()

    def _reset(self) -> None:
        # The native module's cached id: os.getpid() is a system call, made per load and save.
        self._pid = _native.process_id()
        # The session generation last read from or written to the store: save only newer.
        self._saved = 0
        # Completed reads: a caller that waited for the lock while another read finished uses
        # that read's result instead of reading again.
        self._reads = 0
        self._lock = threading.Lock()
        # AsyncClient: the read in flight (an asyncio task of `_async_loop`), shared by its calls.
        self._async_read: Any = None
        self._async_loop: Any = None
        # Writes of failed calls still running (`save_later`): threads, or asyncio tasks.
        self._writes: set[Any] = set()

    def _fresh(self) -> None:
        # A forked child has a new session (generations start again) and must not wait for a
        # lock a parent's thread held at the fork.
        if self._pid != _native.process_id():
            self._reset()

    # --- reading -----------------------------------------------------------------------------

    def load(self) -> None:
        """Before a call: adopt the stored token if the session is about to fetch one."""
        self._fresh()
        if not self._native.wants_token():
            return
        reads = self._reads
        with self._lock:
            if self._reads != reads or not self._native.wants_token():
                return
            try:
                value = _plain(self._store.get(self._key))
            except Exception as error:
                _warn("connectpsp: token store get failed, fetching a token instead (%s)", _describe(error))
                return
            finally:
                self._reads += 1
            self._adopt(value)

    async def load_async(self, budget: float = _TIMEOUT_S) -> None:
        """``load`` for ``AsyncClient``. The read (an async store's at most
        ``TOKEN_STORE_TIMEOUT``) is shared by the calls that want a token at the same time; each
        waits for it at most ``budget`` seconds (what is left of its deadline), and cancelling
        the task ends its wait at once. The read goes on for the others either way."""
        import asyncio

        self._fresh()
        if not self._native.wants_token():
            return
        loop = asyncio.get_running_loop()
        if self._async_loop is not loop:
            self._async_loop, self._async_read = loop, None
        reading = self._async_read
        if reading is None or reading.done():
            reading = self._async_read = loop.create_task(self._read_async())
        try:
            await asyncio.wait_for(asyncio.shield(reading), max(budget, 0))
        except asyncio.TimeoutError:
            pass  # the call's deadline: the core ends the call with its own TimeoutError

    async def _read_async(self) -> None:
        import asyncio

        if not self._native.wants_token():  # another loop's read may have been adopted meanwhile
            return
        try:
            value = self._store.get(self._key)
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, _TIMEOUT_S)
        except asyncio.TimeoutError:
            _warn("connectpsp: token store get took over %g s, fetching a token instead", _TIMEOUT_S)
            return
        except Exception as error:
            _warn("connectpsp: token store get failed, fetching a token instead (%s)", _describe(error))
            return
        self._adopt(value)

    def _adopt(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value).decode("utf-8", "replace")
        if not isinstance(value, str):
            _warn("connectpsp: token store get returned %s, not str or None; ignored", type(value).__name__)
            return
        try:
            generation: Optional[int] = self._native.adopt_from_store(value)
        except ValueError as error:  # the core's message, which never quotes the value
            _warn("connectpsp: token store value ignored: %s", error)
            return
        if generation is not None:
            self._saved = generation

    # --- writing -----------------------------------------------------------------------------

    def _entry(self) -> Optional[tuple[str, int]]:
        self._fresh()
        entry = self._native.token_for_store(self._saved)
        if entry is None:
            return None
        value, ttl_ms, generation = entry
        self._saved = generation
        ttl = ttl_ms // 1000  # never longer than the token lives
        return (value, ttl) if ttl >= 1 else None

    def save(self) -> None:
        """After a call: write the session's token if it is one the store has not seen."""
        entry = self._entry()
        if entry is None:
            return
        try:
            _plain(self._store.set(self._key, entry[0], entry[1]))
        except Exception as error:
            _warn("connectpsp: token store set failed; other processes fetch their own token (%s)", type(error).__name__)

    async def save_async(self) -> None:
        entry = self._entry()
        if entry is not None:
            await self._write_async(entry)

    async def _write_async(self, entry: tuple[str, int]) -> None:
        import asyncio

        try:
            result = self._store.set(self._key, entry[0], entry[1])
            if inspect.isawaitable(result):
                await asyncio.wait_for(result, _TIMEOUT_S)
        except asyncio.TimeoutError:
            _warn("connectpsp: token store set took over %g s; other processes fetch their own token", _TIMEOUT_S)
        except Exception as error:
            _warn("connectpsp: token store set failed; other processes fetch their own token (%s)", type(error).__name__)

    # --- on a failed call's way out ----------------------------------------------------------
    #
    # The error must reach its caller at once, whatever the store's speed, but the write still
    # matters: the token is as good as after a success (another process adopts it instead of
    # fetching its own), and it replaces a stored token the API may have just rejected. So the
    # entry is taken from the session now and written in the background; ``close()`` /
    # ``aclose()`` wait for those writes (each bounded as usual).

    def save_later(self) -> None:
        """``save`` for the sync ``Client``'s error path: the write runs on a daemon thread (a
        store shared by a ``Client`` is already called from several threads)."""
        entry = self._entry()
        if entry is None:
            return
        thread = threading.Thread(target=self._write_from_thread, args=(entry,), name="connectpsp-token-store", daemon=True)
        self._writes.add(thread)
        thread.start()

    def _write_from_thread(self, entry: tuple[str, int]) -> None:
        try:
            _plain(self._store.set(self._key, entry[0], entry[1]))
        except Exception as error:
            _warn("connectpsp: token store set failed; other processes fetch their own token (%s)", type(error).__name__)
        finally:
            self._writes.discard(threading.current_thread())

    def save_later_async(self) -> None:
        """``save_async`` for ``AsyncClient``'s error path: the write is a task of the loop."""
        import asyncio

        entry = self._entry()
        if entry is None:
            return
        task = asyncio.get_running_loop().create_task(self._write_async(entry))
        self._writes.add(task)  # a strong reference: the loop keeps only weak ones
        task.add_done_callback(self._writes.discard)

    def settle(self) -> None:
        """``Client.close()``: wait for the background writes (at most the store timeout)."""
        for thread in list(self._writes):
            if isinstance(thread, threading.Thread) and thread is not threading.current_thread():
                thread.join(_TIMEOUT_S)

    async def settle_async(self) -> None:
        """``AsyncClient.aclose()``: wait for the background writes of this loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        tasks = [t for t in list(self._writes) if isinstance(t, asyncio.Future) and t.get_loop() is loop]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
