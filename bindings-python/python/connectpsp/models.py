"""Typed results of the API and the small classes that request data can be given as.

Every object is immutable, reads by attribute, converts with ``to_dict()`` and prints with
documents and PIX keys masked. Amounts are ``Decimal``; statuses are ``str`` enums whose
unknown values (a status the API adds later) still parse, as a member named ``UNKNOWN``.
Timestamps are kept as the ISO 8601 strings the API sends (offsets differ between endpoints).
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Mapping, Optional, TypeVar, Union

from ._model_base import Converter, Model, as_bool, as_str, model, to_decimal, tuple_of

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


class _OpenEnum(str, Enum):
    """A ``str`` enum that accepts values it does not know (forward compatibility)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)


class CashInStatus(_OpenEnum):
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


class CashOutStatus(_OpenEnum):
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


class RefundReason(_OpenEnum):
    FRAUD = "FRAUD"
    DUPLICATED_PAYMENT = "DUPLICATED_PAYMENT"
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    MERCHANT_ERROR = "MERCHANT_ERROR"


class PixKeyType(_OpenEnum):
    CPF = "CPF"
    CNPJ = "CNPJ"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    EVP = "EVP"


class DestinationType(_OpenEnum):
    PIX = "PIX"
    BANK_ACCOUNT = "BANK_ACCOUNT"


class AccountType(_OpenEnum):
    CHECKING = "CHECKING"
    SAVINGS = "SAVINGS"
    PAYMENT = "PAYMENT"
    SALARY = "SALARY"


class EventType(_OpenEnum):
    CASHIN_PAID = "CASHIN_PAID"
    CASHIN_REFUNDED = "CASHIN_REFUNDED"
    CASHOUT_COMPLETED = "CASHOUT_COMPLETED"
    CASHOUT_FAILED = "CASHOUT_FAILED"
    CASHOUT_REFUNDED = "CASHOUT_REFUNDED"


R = TypeVar("R", bound="_Resource")


class _Resource(Model):
    """A top-level result: the resource plus what the call that produced it knows."""

    raw: str
    idempotency_key: Optional[str]
    http_status: int
    request_id: Optional[str]
    attempts: int
    #: The API answered ``Idempotent-Replayed: true``: this is the stored answer of an earlier
    #: request with the same idempotency key (found the original), not something created now.
    replayed: bool

    def _after_init(self) -> None:
        # Also built from webhook payloads, where no HTTP call stands behind the object.
        for name, value in (
            ("raw", ""),
            ("idempotency_key", None),
            ("http_status", 0),
            ("request_id", None),
            ("attempts", 0),
            ("replayed", False),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def _from_outcome(cls: type[R], outcome: Mapping[str, Any]) -> R:
        self = cls._from_data(outcome.get("data") or {})
        object.__setattr__(self, "raw", outcome.get("raw") or "")
        object.__setattr__(self, "idempotency_key", _snake_or_camel(outcome, "idempotency_key"))
        object.__setattr__(self, "http_status", int(outcome.get("status") or 0))
        object.__setattr__(self, "request_id", _snake_or_camel(outcome, "request_id"))
        object.__setattr__(self, "attempts", int(outcome.get("attempts") or 0))
        object.__setattr__(self, "replayed", outcome.get("replayed") is True)
        return self


def _snake_or_camel(mapping: Mapping[str, Any], snake: str) -> Any:
    if snake in mapping:
        return mapping[snake]
    head, *rest = snake.split("_")
    return mapping.get(head + "".join(part.title() for part in rest))


# --- cash-in ---------------------------------------------------------------------------------


class BankData(Model):
    """The payer's bank, filled in once the payment settled."""

    ispb: Optional[str]
    bank: Optional[str]
    branch: Optional[str]
    account: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "ispb": as_str,
        "bank": as_str,
        "branch": as_str,
        "account": as_str,
    }


class Payer(Model):
    """Who pays a cash-in. Pass one (or a dict with the same keys) as ``payer=``."""

    name: str
    document: str
    bank_data: Optional[BankData]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "name": as_str,
        "document": as_str,
        "bank_data": model(BankData),
    }

    def __init__(self, *, name: str, document: str, bank_data: Optional[BankData] = None) -> None:
        super().__init__(name=name, document=document, bank_data=bank_data)


class PixData(Model):
    """The BR Code of a QR cash-in: ``copy_and_paste`` ("Copia e Cola") and the PNG in Base64."""

    copy_and_paste: str
    qr_code_image_base64: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "copy_and_paste": as_str,
        "qr_code_image_base64": as_str,
    }


class OpenFinance(Model):
    """Switches a cash-in to an OpenFinance payment link; pass as ``open_finance=``."""

    redirect_url: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {"redirect_url": as_str}

    def __init__(self, *, redirect_url: Optional[str] = None) -> None:
        super().__init__(redirect_url=redirect_url)


class CashIn(_Resource):
    """A PIX charge (QR code or OpenFinance link)."""

    transaction_id: str
    internal_code: Optional[str]
    external_reference: Optional[str]
    end_to_end_id: Optional[str]
    original_end_to_end_id: Optional[str]
    status: CashInStatus
    amount: Decimal
    payer: Optional[Payer]
    pix_data: Optional[PixData]
    payment_url: Optional[str]
    requested_at: Optional[str]
    expires_at: Optional[str]
    paid_at: Optional[str]
    refunded_at: Optional[str]
    expired_at: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "transaction_id": as_str,
        "internal_code": as_str,
        "external_reference": as_str,
        "end_to_end_id": as_str,
        "original_end_to_end_id": as_str,
        "status": CashInStatus,
        "amount": to_decimal,
        "payer": model(Payer),
        "pix_data": model(PixData),
        "payment_url": as_str,
        "requested_at": as_str,
        "expires_at": as_str,
        "paid_at": as_str,
        "refunded_at": as_str,
        "expired_at": as_str,
    }


# --- cash-out --------------------------------------------------------------------------------


class BankAccount(Model):
    """A bank-account destination (``Destination(type="BANK_ACCOUNT", bank_account=...)``)."""

    ispb: str
    branch: str
    account: str
    account_type: Optional[AccountType]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "ispb": as_str,
        "branch": as_str,
        "account": as_str,
        "account_type": AccountType,
    }

    def __init__(
        self,
        *,
        ispb: str,
        branch: str,
        account: str,
        account_type: Union[AccountType, str, None] = None,
    ) -> None:
        super().__init__(
            ispb=ispb,
            branch=branch,
            account=account,
            account_type=None if account_type is None else AccountType(account_type),
        )


class Destination(Model):
    """Where a cash-out goes: a PIX key or a bank account."""

    type: DestinationType
    pix_key_type: Optional[PixKeyType]
    pix_key: Optional[str]
    bank_account: Optional[BankAccount]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "type": DestinationType,
        "pix_key_type": PixKeyType,
        "pix_key": as_str,
        "bank_account": model(BankAccount),
    }

    def __init__(
        self,
        *,
        type: Union[DestinationType, str],
        pix_key_type: Union[PixKeyType, str, None] = None,
        pix_key: Optional[str] = None,
        bank_account: Optional[BankAccount] = None,
    ) -> None:
        super().__init__(
            type=DestinationType(type),
            pix_key_type=None if pix_key_type is None else PixKeyType(pix_key_type),
            pix_key=pix_key,
            bank_account=bank_account,
        )

    @classmethod
    def pix(cls, pix_key_type: Union[PixKeyType, str], pix_key: str) -> Destination:
        return cls(type=DestinationType.PIX, pix_key_type=pix_key_type, pix_key=pix_key)

    @classmethod
    def account(cls, bank_account: BankAccount) -> Destination:
        return cls(type=DestinationType.BANK_ACCOUNT, bank_account=bank_account)


class Payee(Model):
    """Who receives a cash-out. Pass one (or a dict with the same keys) as ``payee=``."""

    name: str
    document: str
    destination: Destination
    _fields: ClassVar[Mapping[str, Converter]] = {
        "name": as_str,
        "document": as_str,
        "destination": model(Destination),
    }

    def __init__(self, *, name: str, document: str, destination: Destination) -> None:
        super().__init__(name=name, document=document, destination=destination)


class Failure(Model):
    """Why a cash-out failed (``PIX_KEY_NOT_FOUND``, ...)."""

    code: str
    message: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {"code": as_str, "message": as_str}


class CashOut(_Resource):
    """A PIX payment sent by the merchant."""

    transaction_id: str
    internal_code: Optional[str]
    external_reference: Optional[str]
    end_to_end_id: Optional[str]
    original_end_to_end_id: Optional[str]
    status: CashOutStatus
    amount: Decimal
    description: Optional[str]
    failure: Optional[Failure]
    payee: Optional[Payee]
    requested_at: Optional[str]
    completed_at: Optional[str]
    failed_at: Optional[str]
    refunded_at: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "transaction_id": as_str,
        "internal_code": as_str,
        "external_reference": as_str,
        "end_to_end_id": as_str,
        "original_end_to_end_id": as_str,
        "status": CashOutStatus,
        "amount": to_decimal,
        "description": as_str,
        "failure": model(Failure),
        "payee": model(Payee),
        "requested_at": as_str,
        "completed_at": as_str,
        "failed_at": as_str,
        "refunded_at": as_str,
    }


# --- account ---------------------------------------------------------------------------------


class AccountBalance(Model):
    branch: Optional[str]
    account: Optional[str]
    balance: Decimal
    _fields: ClassVar[Mapping[str, Converter]] = {
        "branch": as_str,
        "account": as_str,
        "balance": to_decimal,
    }


class BankAccounts(Model):
    transactional: Optional[AccountBalance]
    proprietary: Optional[AccountBalance]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "transactional": model(AccountBalance),
        "proprietary": model(AccountBalance),
    }


class BankBalance(Model):
    ispb: str
    bank: str
    accounts: Optional[BankAccounts]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "ispb": as_str,
        "bank": as_str,
        "accounts": model(BankAccounts),
    }


class Consolidated(Model):
    total_balance: Decimal
    transactional_balance: Decimal
    proprietary_balance: Decimal
    _fields: ClassVar[Mapping[str, Converter]] = {
        "total_balance": to_decimal,
        "transactional_balance": to_decimal,
        "proprietary_balance": to_decimal,
    }


class Balance(_Resource):
    """The wallet snapshot: consolidated and per-bank balances."""

    currency: str
    reference_date: Optional[str]
    consolidated: Consolidated
    banks: tuple[BankBalance, ...]
    updated_at: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {
        "currency": as_str,
        "reference_date": as_str,
        "consolidated": model(Consolidated),
        "banks": tuple_of(model(BankBalance)),
        "updated_at": as_str,
    }


class RebalanceResult(_Resource):
    success: bool
    message: Optional[str]
    _fields: ClassVar[Mapping[str, Converter]] = {"success": as_bool, "message": as_str}


# --- webhooks --------------------------------------------------------------------------------


class WebhookEvent(Model):
    """A verified webhook. ``data`` is a ``CashIn`` or a ``CashOut`` (a plain dict for an event
    type the SDK does not know yet). Deduplicate on ``dedupe_key``: ``X-Event-Id`` changes on
    every delivery attempt."""

    event_type: EventType
    event_at: Optional[str]
    data: Union[CashIn, CashOut, dict[str, Any]]
    dedupe_key: Optional[str]
    raw: str
    _fields: ClassVar[Mapping[str, Converter]] = {
        "event_type": EventType,
        "event_at": as_str,
        "data": lambda value: value,
        "dedupe_key": as_str,
    }

    @classmethod
    def _from_json(cls, event: Mapping[str, Any], raw: str) -> WebhookEvent:
        self = cls._from_data(event)
        data = event.get("data") or {}
        if self.event_type.name.startswith("CASHIN_"):
            parsed: Union[CashIn, CashOut, dict[str, Any]] = CashIn._from_data(data)
        elif self.event_type.name.startswith("CASHOUT_"):
            parsed = CashOut._from_data(data)
        else:
            parsed = dict(data)
        object.__setattr__(self, "data", parsed)
        object.__setattr__(self, "raw", raw)
        return self

