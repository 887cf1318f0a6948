"""Reconciliation: ``client.resubmit(error)`` sends a failed call again, unchanged, with the
idempotency key it already used.

After an error whose ``outcome_unknown`` is true the money may or may not have moved. The API
answers a re-submission with the same key by replaying the original response (or does the
work now, once), so each unknown resolves to its one real transaction. A new key would risk
paying twice.

The remembered call is kept in a weak mapping, not on the exception: its parameters hold
documents and PIX keys, which must never show up in ``vars(error)``, a pickled error or a log.
"""

from __future__ import annotations

import weakref

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any, Awaitable, Callable, Union

from . import _native
from ._errors import ConnectPSPError, ValidationError

if TYPE_CHECKING:
    from .models import CashIn, CashOut, Refund

    Result = Union[CashIn, CashOut, Refund]

#: The calls that carry an idempotency key (the keyed rows of the core's call table); the
#: native call builds the result object its reply type names.
_KEYED: frozenset[str] = frozenset(_native.RESUBMIT_METHODS)

_remembered: "weakref.WeakKeyDictionary[ConnectPSPError, tuple[object, str, dict[str, Any]]]" = (
    weakref.WeakKeyDictionary()
)


def remember_call(error: ConnectPSPError, owner: object, method: str, params: dict[str, Any]) -> None:
    """Called where a call fails: remember it when the core reports the key it used."""
    if method in _KEYED and error.idempotency_key:
        # possibly_applied: an earlier submission with this key may have been applied, so the core
        # reports every error of the re-submission outcome unknown, and a success as usual.
        pinned = {**params, "idempotency_key": error.idempotency_key, "possibly_applied": True}
        _remembered[error] = (owner, method, pinned)


def _recall(owner: object, error: BaseException) -> tuple[str, dict[str, Any]]:
    entry = _remembered.get(error) if isinstance(error, ConnectPSPError) else None
    if entry is None or entry[0] is not owner:
        raise ValidationError(
            "resubmit: pass an error raised by this client's cash_in.create, cash_in.refund or "
            "cash_out.create (calls that carry an idempotency key)",
            kind="validation",
            code="VALIDATION_ERROR",
            field="error",
        )
    return entry[1], entry[2]


def resubmit(owner: object, call: Callable[[str, dict[str, Any]], Any], error: BaseException) -> Any:
    method, params = _recall(owner, error)
    return call(method, params)


async def resubmit_async(
    owner: object, call: Callable[[str, dict[str, Any]], Awaitable[Any]], error: BaseException
) -> Any:
    method, params = _recall(owner, error)
    return await call(method, params)
