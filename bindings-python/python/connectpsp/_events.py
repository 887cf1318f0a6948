"""Event hooks: ``Client(event_hooks={"request": [fn], "response": [fn]})`` (httpx's convention).

Each API attempt calls the ``request`` hooks just before it is sent and the ``response`` hooks
once it is answered or failed, on the caller's thread (``Client``) or event loop
(``AsyncClient``, which also accepts ``async def`` hooks and awaits them before the call
returns), in the caller's ``contextvars`` context, so a tracer's current span is the parent.

An event holds the call's shape and fate only: method, path template (``/cash-out/{id}``),
attempt number, idempotency key, status, timing, request id. Never a header, a body, a secret
or personal data. A hook that raises is logged (``connectpsp`` logger) and ignored: a hook can
neither fail nor repeat a payment.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any, Awaitable, Callable, Optional, Sequence, Union

__all__ = ["RequestEvent", "ResponseEvent", "EventHooks", "AsyncEventHooks"]


class RequestEvent:
    """An API attempt about to be sent."""

    __slots__ = ("call_id", "method", "path", "attempt", "idempotency_key")

    #: Identifies the call: its attempts share it (unique within the process).
    call_id: int
    #: ``GET`` or ``POST``.
    method: str
    #: The path with ids as ``{id}``: ``/cash-out``, ``/cash-in/{id}/refund``.
    path: str
    #: 1 for the first attempt, 2 for the first retry, ...
    attempt: int
    #: The ``X-Idempotency-Key`` of a money-moving call (the same on every attempt).
    idempotency_key: Optional[str]

    def __init__(self, call_id: int, method: str, path: str, attempt: int, idempotency_key: Optional[str]) -> None:
        self.call_id = call_id
        self.method = method
        self.path = path
        self.attempt = attempt
        self.idempotency_key = idempotency_key

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(call_id={self.call_id}, method={self.method!r}, path={self.path!r}, "
            f"attempt={self.attempt}, idempotency_key={self.idempotency_key!r})"
        )


class ResponseEvent(RequestEvent):
    """An API attempt answered (``status``) or failed without an answer (``failure``)."""

    __slots__ = ("status", "failure", "elapsed_ms", "request_id", "will_retry", "outcome_unknown")

    #: The HTTP status, or None when no answer came.
    status: Optional[int]
    #: ``"connect"``, ``"timeout"`` or ``"io"`` when no answer came.
    failure: Optional[str]
    #: From just before sending to the end of the answer's body.
    elapsed_ms: float
    #: ``X-Request-Id`` of the answer (quote it to ConnectPSP support).
    request_id: Optional[str]
    #: The SDK will try again (after a backoff or a token refresh).
    will_retry: bool
    #: The last attempt, and the call ends with its outcome unknown: a payment may exist.
    outcome_unknown: bool

    def __init__(
        self,
        call_id: int,
        method: str,
        path: str,
        attempt: int,
        idempotency_key: Optional[str],
        status: Optional[int],
        failure: Optional[str],
        elapsed_ms: float,
        request_id: Optional[str],
        will_retry: bool,
        outcome_unknown: bool,
    ) -> None:
        super().__init__(call_id, method, path, attempt, idempotency_key)
        self.status = status
        self.failure = failure
        self.elapsed_ms = elapsed_ms
        self.request_id = request_id
        self.will_retry = will_retry
        self.outcome_unknown = outcome_unknown

    def __repr__(self) -> str:
        return (
            f"{super().__repr__()[:-1]}, status={self.status!r}, failure={self.failure!r}, "
            f"elapsed_ms={self.elapsed_ms:.1f}, request_id={self.request_id!r}, will_retry={self.will_retry}, "
            f"outcome_unknown={self.outcome_unknown})"
        )


if TYPE_CHECKING:
    Event = Union[RequestEvent, ResponseEvent]
    Hook = Callable[[Any], Any]
    #: ``{"request": [fn, ...], "response": [fn, ...]}``; either key may be left out.
    EventHooks = Mapping[str, Sequence[Callable[[Any], object]]]
    AsyncEventHooks = Mapping[str, Sequence[Callable[[Any], Union[object, Awaitable[object]]]]]

    _NATIVE_EVENT = tuple[
        tuple[str, int, str, str, int, Optional[str]],
        tuple[Optional[int], Optional[str], float, Optional[str], bool, bool],
    ]


def normalise(event_hooks: Optional[Mapping[str, Sequence[Hook]]]) -> Optional[dict[str, tuple[Hook, ...]]]:
    """Checks the option; None when no hook is set (the calls then build no event at all)."""
    if event_hooks is None:
        return None
    if not isinstance(event_hooks, Mapping):
        raise TypeError('event_hooks must be a mapping such as {"request": [fn], "response": [fn]}')
    unknown = set(event_hooks) - {"request", "response"}
    if unknown:
        raise ValueError(f"event_hooks: unknown event {sorted(unknown)[0]!r}; expected 'request' or 'response'")
    hooks: dict[str, tuple[Hook, ...]] = {}
    for name in ("request", "response"):
        listed = tuple(event_hooks.get(name, ()))
        for hook in listed:
            if not callable(hook):
                raise TypeError(f"event_hooks[{name!r}]: {hook!r} is not callable")
        hooks[name] = listed
    return hooks if any(hooks.values()) else None


def _event(raw: _NATIVE_EVENT) -> tuple[str, Event]:
    (kind, call_id, method, path, attempt, key), (status, failure, elapsed_ms, request_id, will_retry, unknown) = raw
    if kind == "request":
        return kind, RequestEvent(call_id, method, path, attempt, key)
    return kind, ResponseEvent(
        call_id, method, path, attempt, key, status, failure, elapsed_ms, request_id, will_retry, unknown
    )


def _log_failure(hook: object, kind: str, error: BaseException) -> None:
    import logging

    logging.getLogger("connectpsp").warning(
        "connectpsp: a %s event hook raised %s; ignored", kind, type(error).__name__, exc_info=error
    )


class Dispatcher:
    """The ``on_event`` of one call: builds the event and runs the hooks in the caller's context."""

    __slots__ = ("hooks", "asynchronous", "context", "pending")

    def __init__(self, hooks: dict[str, tuple[Hook, ...]], *, asynchronous: bool) -> None:
        self.hooks = hooks
        self.asynchronous = asynchronous
        self.context = contextvars.copy_context()
        #: Awaitables returned by async hooks, awaited before the call returns.
        self.pending: list[Awaitable[Any]] = []

    def __call__(self, raw: _NATIVE_EVENT) -> None:
        self.context.run(self._dispatch, raw)

    def _dispatch(self, raw: _NATIVE_EVENT) -> None:
        kind, event = _event(raw)
        for hook in self.hooks[kind]:
            try:
                result = hook(event)
            except Exception as error:
                _log_failure(hook, kind, error)
                continue
            if hasattr(result, "__await__"):
                if not self.asynchronous:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()  # never awaited: no "coroutine was never awaited" warning
                    _log_failure(hook, kind, TypeError("Client hooks must be plain callables; use AsyncClient for async hooks"))
                    continue
                import asyncio

                self.pending.append(asyncio.ensure_future(result))

    async def settle(self) -> None:
        """Awaits what async hooks started; their exceptions are logged, never raised."""
        while self.pending:
            waiting, self.pending = self.pending, []
            for awaitable in waiting:
                try:
                    await awaitable
                except Exception as error:
                    _log_failure(awaitable, "async", error)
