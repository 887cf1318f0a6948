"""Typed results of the API and the small classes that request data can be given as.

Every object is immutable, reads by attribute, converts with ``to_dict()`` and prints with
personal data masked (names, documents, PIX keys, account numbers: the core's rule). Amounts are
``Decimal``; statuses are ``str`` enums whose unknown values (a status the API adds later) still
parse, as a member named ``UNKNOWN``. Timestamps are kept as the ISO 8601 strings the API sends
(offsets differ between endpoints).

The classes are generated from the core's model types into ``_generated_models.py``
(``cargo run -p connectpsp-schema-gen``); this module is where they are imported from.
"""

from __future__ import annotations

from ._generated_models import (
    AccountBalance,
    AccountType,
    Balance,
    BankAccount,
    BankAccounts,
    BankBalance,
    BankData,
    CashIn,
    CashInStatus,
    CashOut,
    CashOutStatus,
    Consolidated,
    Destination,
    DestinationType,
    EventType,
    Failure,
    OpenFinance,
    Payee,
    Payer,
    PixData,
    PixKeyType,
    RebalanceResult,
    RefundReason,
    WebhookEvent,
)

__all__ = [
    "CashInStatus",
    "CashOutStatus",
    "RefundReason",
    "PixKeyType",
    "DestinationType",
    "AccountType",
    "EventType",
    "Payer",
    "BankData",
    "PixData",
    "OpenFinance",
    "CashIn",
    "BankAccount",
    "Destination",
    "Payee",
    "Failure",
    "CashOut",
    "AccountBalance",
    "BankAccounts",
    "BankBalance",
    "Consolidated",
    "Balance",
    "RebalanceResult",
    "WebhookEvent",
]
