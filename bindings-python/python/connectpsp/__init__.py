"""ConnectPSP PIX payments: a typed sync and asyncio client over a Rust core.

::

    import connectpsp
    from decimal import Decimal

    client = connectpsp.Client(client_id=..., client_secret=..., application_token=...,
                               crypto_token=..., base_url=connectpsp.STAGING)
    charge = client.cash_in.create(amount=Decimal("150.50"), external_reference="order-1",
                                   payer={"name": "João Silva", "document": "12345678909"})
    print(charge.pix_data.copy_and_paste)

Money is exact (``Decimal`` in and out; a ``float`` amount is refused), every money-moving call
carries an idempotency key, retries and token refresh are handled by the core, and no secret
is ever logged or printed. Logs go to the standard ``logging`` logger ``"connectpsp"``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any

    from . import pix

from ._client import PRODUCTION, SIGNATURE_HEADER, STAGING, AsyncClient, Client, Webhook
from ._errors import (
    AuthenticationError,
    BusinessRuleError,
    ConflictError,
    ConnectionError,
    ConnectPSPError,
    DecodeError,
    InsufficientFundsError,
    NotFoundError,
    RateLimitError,
    ServerError,
    SignatureError,
    TimeoutError,
    ValidationError,
    WebhookSignatureError,
)
from ._events import RequestEvent, ResponseEvent
from ._native import VERSION as __version__
from ._native import idempotency_key_for
from .models import (
    AccountType,
    Balance,
    BankAccount,
    CashIn,
    CashInStatus,
    CashOut,
    CashOutStatus,
    Destination,
    DestinationType,
    EventType,
    OpenFinance,
    Payee,
    Payer,
    PixKeyType,
    RebalanceResult,
    Refund,
    RefundReason,
    WebhookEvent,
)

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "Webhook",
    "STAGING",
    "PRODUCTION",
    "SIGNATURE_HEADER",
    "idempotency_key_for",
    "pix",
    # event hooks
    "RequestEvent",
    "ResponseEvent",
    # results and request objects
    "CashIn",
    "CashOut",
    "Refund",
    "Balance",
    "RebalanceResult",
    "WebhookEvent",
    "Payer",
    "Payee",
    "Destination",
    "BankAccount",
    "OpenFinance",
    # enums
    "CashInStatus",
    "CashOutStatus",
    "RefundReason",
    "PixKeyType",
    "DestinationType",
    "AccountType",
    "EventType",
    # errors
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


def __getattr__(name: str) -> Any:
    # PEP 562: the PIX toolkit is imported on first use (``connectpsp.pix``, ``from connectpsp
    # import pix``), so a program that only makes API calls does not load it at start-up.
    if name == "pix":
        import importlib

        return importlib.import_module(".pix", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
