"""The exception classes of the SDK.

They are defined here, in Python, so users can subclass, pickle and introspect them like any
other exception; the native module imports this module and raises the class that the core's
``Error::class_name`` names (``docs/architecture.md`` §4), with every attribute filled in.

No attribute ever holds a secret: the core builds messages from field names, statuses and API
problem bodies only.
"""

from __future__ import annotations

import builtins

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = [
    "ConnectPSPError",
    "ValidationError",
    "AuthenticationError",
    "SignatureError",
    "NotFoundError",
    "ConflictError",
    "BusinessRuleError",
    "InsufficientFundsError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "ConnectionError",
    "DecodeError",
    "WebhookSignatureError",
]


class ConnectPSPError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        message: secret-free explanation (also ``str(error)``).
        kind: the core's stable error kind (``"validation"``, ``"business_rule"``, ...).
        status: HTTP status of the last response, if there was one.
        code: the API's machine code (``"INSUFFICIENT_FUNDS"``) or ``"VALIDATION_ERROR"``.
        title, detail: the problem+json ``title`` and ``detail``.
        field: for validation errors, the offending parameter (``payee.destination.pix_key``).
        idempotency_key: the ``X-Idempotency-Key`` the call used. After an error whose
            ``outcome_unknown`` is true, re-submit with ``idempotency_key=`` this value —
            never with a new key, or the payment may happen twice.
        outcome_unknown: a money-moving request may have reached the server, but no answer
            was read.
        request_id: ``X-Request-Id`` of the last response.
        retry_after: the last ``Retry-After`` in seconds, if the server sent one.
        attempts: how many HTTP attempts were made (0: rejected before sending).
    """

    def __init__(
        self,
        message: str = "",
        *,
        kind: str = "",
        status: Optional[int] = None,
        code: Optional[str] = None,
        title: Optional[str] = None,
        detail: Optional[str] = None,
        field: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        outcome_unknown: bool = False,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.field = field
        self.idempotency_key = idempotency_key
        self.outcome_unknown = outcome_unknown
        self.request_id = request_id
        self.retry_after = retry_after
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("status", "code", "field", "idempotency_key", "request_id"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        if self.outcome_unknown:
            parts.append("outcome_unknown=True")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Any:
        # Keyword-only attributes survive pickling (multiprocessing, Celery result backends).
        return (_rebuild, (type(self), self.message, self._attributes()))

    def _attributes(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "field": self.field,
            "idempotency_key": self.idempotency_key,
            "outcome_unknown": self.outcome_unknown,
            "request_id": self.request_id,
            "retry_after": self.retry_after,
            "attempts": self.attempts,
        }


def _rebuild(cls: type[ConnectPSPError], message: str, attributes: dict[str, Any]) -> ConnectPSPError:
    return cls(message, **attributes)


class ValidationError(ConnectPSPError, ValueError):
    """Bad input, rejected before anything was sent (or a 400 from the API). ``field`` names it."""


class AuthenticationError(ConnectPSPError):
    """401: wrong credentials, unknown ApplicationToken, or a token refused after one refresh."""


class SignatureError(ConnectPSPError):
    """422 INVALID_SIGNATURE: the API refused the DigitalSignature (check the crypto token)."""


class NotFoundError(ConnectPSPError):
    """404: no transaction with that id for this application."""


class ConflictError(ConnectPSPError):
    """409 duplicate external reference, or an idempotency key reused with another body."""


class BusinessRuleError(ConnectPSPError):
    """422 with a business code in ``code`` (CASH_IN_NOT_PAID, CASH_IN_ALREADY_REFUNDED, ...)."""


class InsufficientFundsError(BusinessRuleError):
    """422 INSUFFICIENT_FUNDS: the balance does not cover the amount."""


class RateLimitError(ConnectPSPError):
    """429 after the retry budget was spent; ``retry_after`` says how long to wait."""


class ServerError(ConnectPSPError):
    """5xx after the retry budget was spent."""


class TimeoutError(ConnectPSPError, builtins.TimeoutError):
    """The per-attempt timeout or the overall deadline ran out. Check ``outcome_unknown``."""


class ConnectionError(ConnectPSPError, builtins.ConnectionError):
    """The connection failed (refused, reset, closed without an answer). Check ``outcome_unknown``."""


class DecodeError(ConnectPSPError):
    """The API answered something the SDK cannot read."""


class WebhookSignatureError(ConnectPSPError):
    """A webhook whose X-Connect-Signature does not match its body (or is missing/malformed)."""


def _classes() -> dict[str, type[ConnectPSPError]]:
    """class name -> class for every name in the core's ``ERROR_CLASSES`` (the native module
    raises the class ``Error::class_name`` names). A class the core names but this module lacks
    fails the import, so the two cannot drift apart."""
    from . import _native

    defined = globals()
    missing = [name for name in _native.ERROR_CLASSES if name not in defined]
    if missing:
        raise ImportError(f"connectpsp._errors lacks the core's error classes: {', '.join(missing)}")
    return {name: defined[name] for name in _native.ERROR_CLASSES}


#: class name (as the core's ``Error::class_name`` writes it) -> class; used by the native module.
CLASSES: dict[str, type[ConnectPSPError]] = _classes()
