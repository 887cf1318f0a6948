"""A money-moving call abandoned by its caller (a cancelled asyncio task, ``asyncio.timeout``,
Ctrl-C) after its request may have been sent: the payment may exist at ConnectPSP, and the
idempotency key the SDK chose is the only way to re-submit it without paying twice.

So the key is never lost: one WARNING on the ``connectpsp`` logger names the call and the key,
and the exception that ends the call carries it, as a PEP 678 note (shown in the traceback) and
as the attributes ``idempotency_key`` and ``outcome_unknown`` (the names ``ConnectPSPError``
uses). With ``asyncio.timeout``/``asyncio.wait_for`` the ``TimeoutError`` they raise has that
cancellation as its ``__cause__``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Optional, Protocol

    class _Abandonable(Protocol):
        @property
        def idempotency_key(self) -> Optional[str]: ...

        def abandon(self) -> bool: ...


#: The calls that carry an idempotency key, by their name in the Python API.
_PYTHON_NAMES = {
    "cashIn.create": "cash_in.create",
    "cashIn.refund": "cash_in.refund",
    "cashOut.create": "cash_out.create",
}


def abandoned(call: _Abandonable, method: str, interruption: BaseException) -> None:
    """Called with the exception that ends ``call`` before its result was seen."""
    key = call.idempotency_key
    # Always tell the native side, so a request not sent yet is never sent. True when the
    # outcome is unknown: a request may have been sent, or this re-sends one that may have been.
    outcome_unknown = call.abandon()
    if key is None or not outcome_unknown:
        return
    name = _PYTHON_NAMES.get(method, method)
    text = (
        f"connectpsp: {name} was interrupted ({type(interruption).__name__}) after its request may "
        f"have been sent (or while re-sending one that may have been applied); its outcome is unknown. "
        f"Re-submit it with idempotency_key={key!r} (the API replays the original answer instead of "
        "paying twice), never with a new key."
    )
    import logging

    logging.getLogger("connectpsp").warning(text)
    add_note = getattr(interruption, "add_note", None)
    if add_note is not None:  # Python 3.11+
        add_note(text)
    else:
        notes = getattr(interruption, "__notes__", None)
        interruption.__notes__ = [*(notes or ()), text]
    try:
        interruption.idempotency_key = key  # type: ignore[attr-defined]
        interruption.outcome_unknown = True  # type: ignore[attr-defined]
    except AttributeError:  # an exception class with __slots__: the note still carries the key
        pass
