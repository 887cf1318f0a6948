"""``Client`` and ``AsyncClient``: resource namespaces over one native client.

The native client owns the connection pool, the core's session (token, config) and the loop
that drives the core; a ``Client`` is safe to share between threads, an ``AsyncClient``
between tasks. Both accept the same keyword arguments and expose the same namespaces.
"""

from __future__ import annotations

import json
from decimal import Decimal
from types import TracebackType
from typing import Any, Awaitable, Callable, Mapping, Optional, Union

from . import _native
from ._errors import ConnectPSPError
from . import _resubmit
from ._transport import decode_outcome, encode_params, log_attempts
from .models import (
    Balance,
    CashIn,
    CashOut,
    OpenFinance,
    Payee,
    Payer,
    RebalanceResult,
    RefundReason,
    WebhookEvent,
)

__all__ = ["Client", "AsyncClient", "STAGING", "PRODUCTION", "SIGNATURE_HEADER", "Webhook"]

STAGING: str = _native.STAGING_URL
PRODUCTION: str = _native.PRODUCTION_URL
SIGNATURE_HEADER: str = _native.SIGNATURE_HEADER

#: Amounts: ``Decimal("150.50")``, ``"150.50"`` or whole reais as ``int``. A ``float`` is refused.
AmountLike = Union[Decimal, int, str]
PayerLike = Union[Payer, Mapping[str, Any]]
PayeeLike = Union[Payee, Mapping[str, Any]]
OpenFinanceLike = Union[OpenFinance, Mapping[str, Any]]
ReasonLike = Union[RefundReason, str]
Params = dict[str, Any]


def _config_json(
    *,
    client_id: str,
    client_secret: str,
    application_token: str,
    crypto_token: str,
    base_url: str,
    timeout: float,
    max_retries: int,
    deadline: Optional[float],
    dangerously_allow_insecure_http: bool,
) -> str:
    """The options of ``bridge::config_from_json``. Seconds become milliseconds here; every
    rule about the values (https only, ranges) is the core's."""
    config: dict[str, Any] = {
        "clientId": client_id,
        "clientSecret": client_secret,
        "applicationToken": application_token,
        "cryptoToken": crypto_token,
        "baseUrl": base_url,
        "timeoutMs": _millis(timeout, "timeout"),
        "maxRetries": max_retries,
        "naming": "snake",
        "floatAmounts": False,
        "binding": "python",
        "bindingVersion": _native.VERSION,
        "dangerouslyAllowInsecureHttp": dangerously_allow_insecure_http,
    }
    if deadline is not None:
        config["deadlineMs"] = _millis(deadline, "deadline")
    return json.dumps(config)


def _millis(seconds: float, name: str) -> Any:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Decimal)):
        raise TypeError(f"{name} must be a number of seconds, got {type(seconds).__name__}")
    # Out-of-range values go through unchanged in sign, so the core's validation names them.
    return int(round(float(seconds) * 1000))


def _signature_from(headers: Union[Mapping[str, str], str, None]) -> str:
    if headers is None:
        return ""
    if isinstance(headers, str):
        return headers
    wanted = SIGNATURE_HEADER.lower()
    for name, value in headers.items():
        if name.lower() == wanted:
            return value
    return ""


def _payload_bytes(payload: Union[bytes, bytearray, memoryview]) -> bytes:
    if isinstance(payload, str):
        raise TypeError(
            "pass the raw request body as bytes, exactly as received: a decoded or re-serialised "
            "body does not match its signature"
        )
    return bytes(payload)


def _event(event_json: str, payload: bytes) -> WebhookEvent:
    return WebhookEvent._from_json(decode_outcome(event_json), payload.decode("utf-8", "replace"))


class Webhook:
    """Verify and parse a webhook without a client (e.g. in a small receiver process)."""

    @staticmethod
    def construct_event(
        *, payload: Union[bytes, bytearray, memoryview], signature: str, crypto_token: str
    ) -> WebhookEvent:
        """Check ``X-Connect-Signature`` against the raw body (constant time, either hex case) and
        return the typed event. Raises ``WebhookSignatureError`` when they do not match."""
        body = _payload_bytes(payload)
        return _event(_native.webhook_construct_event(body, signature or "", crypto_token), body)


class Webhooks:
    """``client.webhooks``: webhook verification with the client's crypto token."""

    def __init__(self, native: _native.NativeClient) -> None:
        self._native = native

    def construct_event(
        self,
        payload: Union[bytes, bytearray, memoryview],
        headers: Union[Mapping[str, str], str, None],
    ) -> WebhookEvent:
        """``headers``: the request's headers (any case) or the signature value itself."""
        body = _payload_bytes(payload)
        return _event(self._native.construct_event(body, _signature_from(headers)), body)


# --- parameters: one function per operation, shared by the sync and async namespaces ---------


def _cash_in_create(
    amount: AmountLike,
    external_reference: str,
    payer: PayerLike,
    webhook_url: Optional[str],
    expiration_in_minutes: Optional[int],
    open_finance: Optional[OpenFinanceLike],
    idempotency_key: Optional[str],
) -> Params:
    return {
        "amount": amount,
        "external_reference": external_reference,
        "payer": payer,
        "webhook_url": webhook_url,
        "expiration_in_minutes": expiration_in_minutes,
        "open_finance": open_finance,
        "idempotency_key": idempotency_key,
    }


def _cash_out_create(
    amount: AmountLike,
    external_reference: str,
    payee: PayeeLike,
    description: Optional[str],
    webhook_url: Optional[str],
    idempotency_key: Optional[str],
) -> Params:
    return {
        "amount": amount,
        "external_reference": external_reference,
        "description": description,
        "webhook_url": webhook_url,
        "payee": payee,
        "idempotency_key": idempotency_key,
    }


def _refund(
    transaction_id: str, reason: ReasonLike, description: Optional[str], idempotency_key: Optional[str]
) -> Params:
    return {
        "id": transaction_id,
        "reason": reason,
        "description": description,
        "idempotency_key": idempotency_key,
    }


# --- sync ------------------------------------------------------------------------------------

SyncCall = Callable[[str, Params], dict[str, Any]]
AsyncCall = Callable[[str, Params], Awaitable[dict[str, Any]]]


class CashInResource:
    """``client.cash_in``: PIX charges."""

    def __init__(self, call: SyncCall) -> None:
        self._call = call

    def create(
        self,
        *,
        amount: AmountLike,
        external_reference: str,
        payer: PayerLike,
        webhook_url: Optional[str] = None,
        expiration_in_minutes: Optional[int] = None,
        open_finance: Optional[OpenFinanceLike] = None,
        idempotency_key: Optional[str] = None,
    ) -> CashIn:
        """Create a charge. Without ``idempotency_key`` the SDK generates one; it is on the
        result (``.idempotency_key``) and on any error."""
        params = _cash_in_create(
            amount, external_reference, payer, webhook_url, expiration_in_minutes, open_finance, idempotency_key
        )
        return CashIn._from_outcome(self._call("cashIn.create", params))

    def get(self, transaction_id: str) -> CashIn:
        """Read a charge by transaction id, internal code or end-to-end id."""
        return CashIn._from_outcome(self._call("cashIn.get", {"id": transaction_id}))

    def refund(
        self,
        transaction_id: str,
        *,
        reason: ReasonLike,
        description: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> CashIn:
        """Refund a paid charge in full; returns the charge, now ``REFUNDED``."""
        params = _refund(transaction_id, reason, description, idempotency_key)
        return CashIn._from_outcome(self._call("cashIn.refund", params))


class CashOutResource:
    """``client.cash_out``: PIX payments to a key or a bank account."""

    def __init__(self, call: SyncCall) -> None:
        self._call = call

    def create(
        self,
        *,
        amount: AmountLike,
        external_reference: str,
        payee: PayeeLike,
        description: Optional[str] = None,
        webhook_url: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> CashOut:
        """Send a payment (answered ``PROCESSING``; settlement comes by webhook or ``get``).

        If this raises with ``outcome_unknown=True``, call it again with
        ``idempotency_key=error.idempotency_key``: the API replays the first answer instead of
        paying twice. ``connectpsp.idempotency_key_for(external_reference)`` gives a key that
        survives a process restart."""
        params = _cash_out_create(amount, external_reference, payee, description, webhook_url, idempotency_key)
        return CashOut._from_outcome(self._call("cashOut.create", params))

    def get(self, transaction_id: str) -> CashOut:
        return CashOut._from_outcome(self._call("cashOut.get", {"id": transaction_id}))


class AccountResource:
    """``client.account``: balances and rebalancing."""

    def __init__(self, call: SyncCall) -> None:
        self._call = call

    def balance(self) -> Balance:
        return Balance._from_outcome(self._call("account.balance", {}))

    def rebalance(self, *, target_amount: AmountLike) -> RebalanceResult:
        """Set the transactional balance to ``target_amount`` (a target, not a delta)."""
        return RebalanceResult._from_outcome(self._call("account.rebalance", {"target_amount": target_amount}))


class _ClientBase:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        application_token: str,
        crypto_token: str,
        base_url: str = STAGING,
        timeout: float = 30.0,
        max_retries: int = 2,
        deadline: Optional[float] = None,
        dangerously_allow_insecure_http: bool = False,
    ) -> None:
        config = _config_json(
            client_id=client_id,
            client_secret=client_secret,
            application_token=application_token,
            crypto_token=crypto_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            dangerously_allow_insecure_http=dangerously_allow_insecure_http,
        )
        # The secrets live only in the native object from here on (never in a Python attribute).
        self._native = _native.NativeClient(config)
        self.base_url: str = self._native.base_url
        self.webhooks = Webhooks(self._native)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Client(_ClientBase):
    """The synchronous client. Calls block the calling thread only (the GIL is released while
    waiting) and can be interrupted with Ctrl-C."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        application_token: str,
        crypto_token: str,
        base_url: str = STAGING,
        timeout: float = 30.0,
        max_retries: int = 2,
        deadline: Optional[float] = None,
        dangerously_allow_insecure_http: bool = False,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            application_token=application_token,
            crypto_token=crypto_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            dangerously_allow_insecure_http=dangerously_allow_insecure_http,
        )
        self.cash_in = CashInResource(self._call)
        self.cash_out = CashOutResource(self._call)
        self.account = AccountResource(self._call)

    def _call(self, method: str, params: Params) -> dict[str, Any]:
        payload = encode_params(params)
        try:
            outcome_json, attempts = self._native.call(method, payload)
        except ConnectPSPError as error:
            log_attempts(error.__dict__.pop("_attempts", ()))
            _resubmit.remember_call(error, self, method, params)
            raise
        log_attempts(attempts)
        return decode_outcome(outcome_json)

    def resubmit(self, error: BaseException) -> Any:
        """Send a failed ``cash_in.create`` / ``cash_in.refund`` / ``cash_out.create`` again,
        unchanged, with the idempotency key it used: how to resolve an error whose
        ``outcome_unknown`` is true (the API replays the original answer, or does the work now,
        once). Never re-send with a new key."""
        return _resubmit.resubmit(self, self._call, error)

    def close(self) -> None:
        """Close idle pooled connections (a later call opens new ones)."""
        self._native.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


# --- async -----------------------------------------------------------------------------------


class AsyncCashInResource:
    """``aclient.cash_in``: the awaitable twin of ``client.cash_in``."""

    def __init__(self, call: AsyncCall) -> None:
        self._call = call

    async def create(
        self,
        *,
        amount: AmountLike,
        external_reference: str,
        payer: PayerLike,
        webhook_url: Optional[str] = None,
        expiration_in_minutes: Optional[int] = None,
        open_finance: Optional[OpenFinanceLike] = None,
        idempotency_key: Optional[str] = None,
    ) -> CashIn:
        params = _cash_in_create(
            amount, external_reference, payer, webhook_url, expiration_in_minutes, open_finance, idempotency_key
        )
        return CashIn._from_outcome(await self._call("cashIn.create", params))

    async def get(self, transaction_id: str) -> CashIn:
        return CashIn._from_outcome(await self._call("cashIn.get", {"id": transaction_id}))

    async def refund(
        self,
        transaction_id: str,
        *,
        reason: ReasonLike,
        description: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> CashIn:
        params = _refund(transaction_id, reason, description, idempotency_key)
        return CashIn._from_outcome(await self._call("cashIn.refund", params))


class AsyncCashOutResource:
    """``aclient.cash_out``: the awaitable twin of ``client.cash_out``."""

    def __init__(self, call: AsyncCall) -> None:
        self._call = call

    async def create(
        self,
        *,
        amount: AmountLike,
        external_reference: str,
        payee: PayeeLike,
        description: Optional[str] = None,
        webhook_url: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> CashOut:
        params = _cash_out_create(amount, external_reference, payee, description, webhook_url, idempotency_key)
        return CashOut._from_outcome(await self._call("cashOut.create", params))

    async def get(self, transaction_id: str) -> CashOut:
        return CashOut._from_outcome(await self._call("cashOut.get", {"id": transaction_id}))


class AsyncAccountResource:
    """``aclient.account``: the awaitable twin of ``client.account``."""

    def __init__(self, call: AsyncCall) -> None:
        self._call = call

    async def balance(self) -> Balance:
        return Balance._from_outcome(await self._call("account.balance", {}))

    async def rebalance(self, *, target_amount: AmountLike) -> RebalanceResult:
        return RebalanceResult._from_outcome(await self._call("account.rebalance", {"target_amount": target_amount}))


class AsyncClient(_ClientBase):
    """The asyncio client: same arguments and namespaces as ``Client``, every call awaitable.
    Cancelling the awaiting task cancels the HTTP request."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        application_token: str,
        crypto_token: str,
        base_url: str = STAGING,
        timeout: float = 30.0,
        max_retries: int = 2,
        deadline: Optional[float] = None,
        dangerously_allow_insecure_http: bool = False,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            application_token=application_token,
            crypto_token=crypto_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            dangerously_allow_insecure_http=dangerously_allow_insecure_http,
        )
        self.cash_in = AsyncCashInResource(self._call)
        self.cash_out = AsyncCashOutResource(self._call)
        self.account = AsyncAccountResource(self._call)

    async def _call(self, method: str, params: Params) -> dict[str, Any]:
        payload = encode_params(params)
        try:
            outcome_json, attempts = await self._native.call_async(method, payload)
        except ConnectPSPError as error:
            log_attempts(error.__dict__.pop("_attempts", ()))
            _resubmit.remember_call(error, self, method, params)
            raise
        log_attempts(attempts)
        return decode_outcome(outcome_json)

    async def resubmit(self, error: BaseException) -> Any:
        """The awaitable ``Client.resubmit``: same call, same idempotency key."""
        return await _resubmit.resubmit_async(self, self._call, error)

    async def aclose(self) -> None:
        """Close idle pooled connections (a later call opens new ones)."""
        self._native.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()
