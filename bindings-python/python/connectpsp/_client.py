"""``Client`` and ``AsyncClient``: resource namespaces over one native client.

The native client owns the connection pool, the core's session (token, config) and the loop
that drives the core; a ``Client`` is safe to share between threads, an ``AsyncClient``
between tasks. Both accept the same keyword arguments and expose the same namespaces.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from types import TracebackType

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: see _model_base
if TYPE_CHECKING:
    from typing import Any, Awaitable, Callable, Mapping, Optional, Sequence, TypeVar, Union

from . import _events, _native
from ._cancellation import abandoned
from ._errors import ConnectPSPError, TimeoutError, ValidationError
from . import _resubmit
from ._attempt_log import log_attempts
from ._codec import encode_params
from .models import (
    Balance,
    CashIn,
    CashOut,
    OpenFinance,
    Payee,
    Payer,
    RebalanceResult,
    Refund,
    RefundReason,
    WebhookEvent,
)

if TYPE_CHECKING:
    from . import _token_sync
    from ._events import AsyncEventHooks, EventHooks
    from .token_store import AnyTokenStore, TokenStore

__all__ = ["Client", "AsyncClient", "STAGING", "PRODUCTION", "SIGNATURE_HEADER", "Webhook"]

STAGING: str = _native.STAGING_URL
PRODUCTION: str = _native.PRODUCTION_URL
SIGNATURE_HEADER: str = _native.SIGNATURE_HEADER
#: The core's defaults: per-attempt timeout (seconds) and retries after the first attempt.
DEFAULT_TIMEOUT: float = _native.DEFAULT_TIMEOUT_MS / 1000
DEFAULT_MAX_RETRIES: int = _native.DEFAULT_MAX_RETRIES
#: How long ``wait`` polls by default (seconds).
DEFAULT_WAIT_TIMEOUT: float = _native.DEFAULT_SETTLE_TIMEOUT_MS / 1000

if TYPE_CHECKING:
    #: Amounts: ``Decimal("150.50")``, ``"150.50"`` or whole reais as ``int``. A ``float`` is refused.
    AmountLike = Union[Decimal, int, str]
    PayerLike = Union[Payer, Mapping[str, Any]]
    PayeeLike = Union[Payee, Mapping[str, Any]]
    OpenFinanceLike = Union[OpenFinance, Mapping[str, Any]]
    ReasonLike = Union[RefundReason, str]
    Params = dict[str, Any]
    #: ``ca_bundle=``: a path to a PEM file, as ``str`` or ``pathlib.Path`` (any ``os.PathLike``).
    PathLike = Union[str, os.PathLike[str]]


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
    webhook_crypto_tokens: Optional[Sequence[str]] = None,
    webhook_tolerance: Optional[float] = None,
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
        "binding": "python",
        "bindingVersion": _native.VERSION,
        "dangerouslyAllowInsecureHttp": dangerously_allow_insecure_http,
    }
    if deadline is not None:
        config["deadlineMs"] = _millis(deadline, "deadline")
    if webhook_crypto_tokens is not None:
        config["webhookCryptoTokens"] = _tokens(webhook_crypto_tokens, "webhook_crypto_tokens")
    if webhook_tolerance is not None:
        config["webhookToleranceMs"] = _millis(webhook_tolerance, "webhook_tolerance")
    import json  # here, not at import: json (and the re it compiles with) is a client's cost

    return json.dumps(config)


def _tokens(tokens: Union[str, Sequence[str]], name: str) -> Union[str, list[str]]:
    """One crypto token or a list of them; the core checks the values (and names an empty one)."""
    if isinstance(tokens, str):
        return tokens
    if isinstance(tokens, (bytes, bytearray)) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"{name} must be a str or a list of str")
    return list(tokens)


def _millis(seconds: float, name: str) -> Any:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, Decimal)):
        raise TypeError(f"{name} must be a number of seconds, got {type(seconds).__name__}")
    # Out-of-range values go through unchanged in sign, so the core's validation names them.
    return int(round(float(seconds) * 1000))


def _network_options(proxy: Optional[str], ca_bundle: Optional[PathLike], trust_env: bool) -> dict[str, Any]:
    """Type checks only: whether the values are usable (URL, scheme, a readable PEM file) is
    decided natively, as a ``ValidationError`` naming the option."""
    if proxy is not None and not isinstance(proxy, str):
        raise TypeError(f"proxy must be a URL string or None, got {type(proxy).__name__}")
    if ca_bundle is not None and not isinstance(ca_bundle, (str, os.PathLike)):
        raise TypeError(f"ca_bundle must be a path (str or os.PathLike) or None, got {type(ca_bundle).__name__}")
    if not isinstance(trust_env, bool):
        raise TypeError(f"trust_env must be a bool, got {type(trust_env).__name__}")
    return {
        "proxy": proxy,
        "ca_bundle": None if ca_bundle is None else os.fsdecode(os.fspath(ca_bundle)),
        "trust_env": trust_env,
    }


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


def _event(event: dict[str, Any], payload: bytes) -> WebhookEvent:
    return WebhookEvent._from_json(event, payload.decode("utf-8", "replace"))


class Webhook:
    """Verify and parse a webhook without a client (e.g. in a small receiver process)."""

    @staticmethod
    def construct_event(
        *,
        payload: Union[bytes, bytearray, memoryview],
        signature: str,
        crypto_token: Union[str, Sequence[str]],
        tolerance: Optional[float] = None,
    ) -> WebhookEvent:
        """Check ``X-Connect-Signature`` against the raw body (constant time, either hex case) and
        return the typed event. Raises ``WebhookSignatureError`` when they do not match.

        ``crypto_token`` may be a list (the new token first) while ConnectPSP switches keys: a
        signature by any of them is accepted. ``tolerance`` (seconds, off by default) also
        refuses an event whose ``eventAt`` is further than that from now (a replayed capture);
        keep it above the webhook retry window."""
        body = _payload_bytes(payload)
        tokens = _tokens(crypto_token, "crypto_token")
        tolerance_ms = None if tolerance is None else int(_millis(tolerance, "tolerance"))
        return _event(_native.webhook_construct_event(body, signature or "", tokens, tolerance_ms), body)


class Webhooks:
    """``client.webhooks``: webhook verification with the client's crypto token, or the
    ``webhook_crypto_tokens`` it was given for a key rotation, and its ``webhook_tolerance``."""

    def __init__(self, native: _native.NativeClient) -> None:
        self._native = native

    def construct_event(
        self,
        payload: Union[bytes, bytearray, memoryview],
        headers: Union[Mapping[str, str], str, None],
        *,
        crypto_token: Union[str, Sequence[str], None] = None,
        tolerance: Optional[float] = None,
    ) -> WebhookEvent:
        """``headers``: the request's headers (any case) or the signature value itself.
        ``crypto_token`` (one or a list, the new one first) and ``tolerance`` (seconds) replace
        the client's for this delivery."""
        body = _payload_bytes(payload)
        tokens = None if crypto_token is None else _tokens(crypto_token, "crypto_token")
        tolerance_ms = None if tolerance is None else int(_millis(tolerance, "tolerance"))
        return _event(self._native.construct_event(body, _signature_from(headers), tokens, tolerance_ms), body)


# --- parameters: one function per operation, shared by the sync and async namespaces ---------


def _cash_in_create(
    amount: AmountLike,
    external_reference: str,
    payer: PayerLike,
    webhook_url: Optional[str],
    expiration_in_minutes: Optional[int],
    open_finance: Optional[OpenFinanceLike],
    idempotency_key: Optional[str],
    possibly_applied: bool,
) -> Params:
    return {
        "amount": amount,
        "external_reference": external_reference,
        "payer": payer,
        "webhook_url": webhook_url,
        "expiration_in_minutes": expiration_in_minutes,
        "open_finance": open_finance,
        "idempotency_key": idempotency_key,
        "possibly_applied": _flag(possibly_applied),
    }


def _cash_out_create(
    amount: AmountLike,
    external_reference: str,
    payee: PayeeLike,
    description: Optional[str],
    webhook_url: Optional[str],
    idempotency_key: Optional[str],
    possibly_applied: bool,
) -> Params:
    return {
        "amount": amount,
        "external_reference": external_reference,
        "description": description,
        "webhook_url": webhook_url,
        "payee": payee,
        "idempotency_key": idempotency_key,
        "possibly_applied": _flag(possibly_applied),
    }


def _refund(
    transaction_id: str,
    reason: ReasonLike,
    description: Optional[str],
    idempotency_key: Optional[str],
    possibly_applied: bool,
) -> Params:
    return {
        "id": transaction_id,
        "reason": reason,
        "description": description,
        "idempotency_key": idempotency_key,
        "possibly_applied": _flag(possibly_applied),
    }


def _flag(possibly_applied: bool) -> Optional[bool]:
    """``possibly_applied`` for the core: left out when false (the usual call). Any other value
    than a bool goes through unchanged, for the core to refuse naming the field."""
    return None if possibly_applied is False else possibly_applied


# --- sync ------------------------------------------------------------------------------------

if TYPE_CHECKING:
    #: Per-call overrides as the native call takes them: (timeout ms, deadline ms, max retries).
    CallOptions = tuple[Optional[int], Optional[int], Optional[int]]
_DEFAULTS: CallOptions = (None, None, None)


def _options(timeout: Optional[float], deadline: Optional[float], max_retries: Optional[int]) -> CallOptions:
    """``timeout``/``deadline`` in seconds -> milliseconds; every rule about the values is the
    core's (a bad one is a ``ValidationError`` naming it before anything is sent)."""
    if timeout is None and deadline is None and max_retries is None:
        return _DEFAULTS
    return (
        None if timeout is None else _call_millis(timeout, "timeout"),
        None if deadline is None else _call_millis(deadline, "deadline"),
        None if max_retries is None else _count(max_retries, "max_retries"),
    )


def _call_millis(seconds: float, name: str) -> int:
    millis = int(_millis(seconds, name))
    if millis < 1:
        raise ValidationError(
            f"{name}: must be a positive number of seconds", kind="validation", code="VALIDATION_ERROR", field=name
        )
    return millis


def _count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValidationError(
            f"{name}: must be 0 or more", kind="validation", code="VALIDATION_ERROR", field=name
        )
    return value


def _wait_timeout(kind: str, transaction_id: str, timeout: float, polls: int, last: Any) -> TimeoutError:
    error = TimeoutError(
        f"{kind}.wait: still {last.status} after {timeout:g} s ({polls} polls)",
        kind="timeout",
    )
    #: The last state seen (still pending), to show or to keep waiting from.
    error.last_seen = last  # type: ignore[attr-defined]
    return error


if TYPE_CHECKING:
    _R = TypeVar("_R", CashIn, CashOut)


def _wait(kind: str, get: Callable[[str], _R], transaction_id: str, timeout: float) -> _R:
    """The loop behind ``wait``: the core's schedule and pending rule, one monotonic budget."""
    started = time.monotonic()
    polls = 0
    while True:
        last = get(transaction_id)
        polls += 1
        if not _native.settle_is_pending(kind, str(last.status)):
            return last
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise _wait_timeout(kind, transaction_id, timeout, polls, last)
        time.sleep(min(_native.settle_delay_ms(polls - 1) / 1000, remaining))


async def _wait_async(
    kind: str, get: Callable[[str], Awaitable[_R]], transaction_id: str, timeout: float
) -> _R:
    """``_wait`` for asyncio."""
    import asyncio  # here, not at import: it is most of a cold import's time

    started = time.monotonic()
    polls = 0
    while True:
        last = await get(transaction_id)
        polls += 1
        if not _native.settle_is_pending(kind, str(last.status)):
            return last
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise _wait_timeout(kind, transaction_id, timeout, polls, last)
        await asyncio.sleep(min(_native.settle_delay_ms(polls - 1) / 1000, remaining))


if TYPE_CHECKING:
    #: A call of the native client: the result object the core's reply type names (``CashIn``, ...).
    SyncCall = Callable[..., Any]
    AsyncCall = Callable[..., Awaitable[Any]]


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
        possibly_applied: bool = False,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashIn:
        """Create a charge. Without ``idempotency_key`` the SDK generates one; it is on the
        result (``.idempotency_key``) and on any error. ``possibly_applied=True`` (with the
        saved ``idempotency_key``): this re-sends a call whose outcome was unknown, as
        ``cash_out.create`` explains."""
        params = _cash_in_create(
            amount, external_reference, payer, webhook_url, expiration_in_minutes, open_finance, idempotency_key, possibly_applied
        )
        result: CashIn = self._call("cashIn.create", params, _options(timeout, deadline, max_retries))
        return result

    def get(
        self,
        transaction_id: str,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashIn:
        """Read a charge by transaction id, internal code or end-to-end id."""
        result: CashIn = self._call("cashIn.get", {"id": transaction_id}, _options(timeout, deadline, max_retries))
        return result

    def refund(
        self,
        transaction_id: str,
        *,
        reason: ReasonLike,
        description: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        possibly_applied: bool = False,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Refund:
        """Refund a paid charge in full; returns the devolution (``end_to_end_id`` ``D...``).
        ``possibly_applied=True`` (with the saved ``idempotency_key``): this re-sends a refund
        whose outcome was unknown, as ``cash_out.create`` explains."""
        params = _refund(transaction_id, reason, description, idempotency_key, possibly_applied)
        result: Refund = self._call("cashIn.refund", params, _options(timeout, deadline, max_retries))
        return result

    def wait(self, transaction_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> CashIn:
        """Poll ``get`` until the charge leaves ``AWAITING_PAYMENT`` and return it: the fallback for a lost
        webhook. The interval grows with jitter and honours the API's pacing (the core's
        policy). After ``timeout`` seconds raises ``connectpsp.TimeoutError`` whose
        ``last_seen`` is the last state read."""
        return _wait("cash_in", self.get, transaction_id, timeout)


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
        possibly_applied: bool = False,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashOut:
        """Send a payment (answered ``PROCESSING``; settlement comes by webhook or ``get``).

        If this raises with ``outcome_unknown=True``, call it again with
        ``idempotency_key=error.idempotency_key, possibly_applied=True`` (``client.resubmit(error)``
        does that for you): the API replays the first answer instead of paying twice.
        ``connectpsp.idempotency_key_for(external_reference)`` gives a key that survives a
        process restart.

        ``possibly_applied=True`` says that an earlier call with this ``idempotency_key`` may have
        been applied (its error was outcome unknown, or the process died waiting for it): every
        error of this call is then outcome unknown too, with the key, because this call's own
        attempts being refused says nothing about the earlier one's. A success (the API's
        replay of the original included) is reported as usual. It needs ``idempotency_key``."""
        params = _cash_out_create(
            amount, external_reference, payee, description, webhook_url, idempotency_key, possibly_applied
        )
        result: CashOut = self._call("cashOut.create", params, _options(timeout, deadline, max_retries))
        return result

    def get(
        self,
        transaction_id: str,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashOut:
        result: CashOut = self._call("cashOut.get", {"id": transaction_id}, _options(timeout, deadline, max_retries))
        return result

    def wait(self, transaction_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> CashOut:
        """Poll ``get`` until the payout leaves ``PROCESSING`` and return it: the fallback for a lost
        webhook. The interval grows with jitter and honours the API's pacing (the core's
        policy). After ``timeout`` seconds raises ``connectpsp.TimeoutError`` whose
        ``last_seen`` is the last state read."""
        return _wait("cash_out", self.get, transaction_id, timeout)


class AccountResource:
    """``client.account``: balances and rebalancing."""

    def __init__(self, call: SyncCall) -> None:
        self._call = call

    def balance(
        self,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Balance:
        result: Balance = self._call("account.balance", {}, _options(timeout, deadline, max_retries))
        return result

    def rebalance(
        self,
        *,
        target_amount: AmountLike,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> RebalanceResult:
        """Set the transactional balance to ``target_amount`` (a target, not a delta)."""
        result: RebalanceResult = self._call(
            "account.rebalance", {"target_amount": target_amount}, _options(timeout, deadline, max_retries)
        )
        return result


class _ClientBase:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        application_token: str,
        crypto_token: str,
        base_url: str = STAGING,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        deadline: Optional[float] = None,
        dangerously_allow_insecure_http: bool = False,
        event_hooks: Optional[Mapping[str, Sequence[Callable[[Any], Any]]]] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[PathLike] = None,
        trust_env: bool = True,
        token_store: Optional[AnyTokenStore] = None,
        webhook_crypto_tokens: Optional[Sequence[str]] = None,
        webhook_tolerance: Optional[float] = None,
    ) -> None:
        self._hooks = _events.normalise(event_hooks)
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
            webhook_crypto_tokens=webhook_crypto_tokens,
            webhook_tolerance=webhook_tolerance,
        )
        # The secrets live only in the native object from here on (never in a Python attribute);
        # so does the proxy URL, which can hold the proxy's password.
        self._native = _native.NativeClient(config, **_network_options(proxy, ca_bundle, trust_env))
        self.base_url: str = self._native.base_url
        self.webhooks = Webhooks(self._native)
        self._tokens: Optional[_token_sync.TokenSync] = None
        if token_store is not None:
            from . import _token_sync as sync  # only with a store: no import cost otherwise

            self._tokens = sync.TokenSync(self._native, token_store)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Client(_ClientBase):
    """The synchronous client. Calls block the calling thread only (the GIL is released while
    waiting) and can be interrupted with Ctrl-C.

    Network options (checked here: a bad value is a ``ValidationError`` naming the option):

    - ``proxy="http://user:password@proxy.internal:3128"``: every request goes through that
      HTTP proxy (an https:// proxy URL also encrypts the hop to the proxy); https calls use a
      CONNECT tunnel, so the proxy sees only the host name. It replaces the environment's
      proxies. The credentials may be percent-encoded and never appear in a repr or an error.
    - ``proxy=None`` (the default): ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` with
      ``NO_PROXY`` apply, as in curl and requests; ``trust_env=False`` ignores them.
    - A loopback base URL (a sandbox) is never proxied, whatever the settings.
    - ``ca_bundle="corp-root.pem"``: trust only the certificates of that PEM file instead of
      the system's roots (as ``requests``' ``verify=path``); to add a root, put it in one
      file with the system's bundle.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        application_token: str,
        crypto_token: str,
        base_url: str = STAGING,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        deadline: Optional[float] = None,
        dangerously_allow_insecure_http: bool = False,
        event_hooks: Optional[EventHooks] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[PathLike] = None,
        trust_env: bool = True,
        token_store: Optional[TokenStore] = None,
        webhook_crypto_tokens: Optional[Sequence[str]] = None,
        webhook_tolerance: Optional[float] = None,
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
            event_hooks=event_hooks,
            proxy=proxy,
            ca_bundle=ca_bundle,
            trust_env=trust_env,
            token_store=token_store,
            webhook_crypto_tokens=webhook_crypto_tokens,
            webhook_tolerance=webhook_tolerance,
        )
        self.cash_in = CashInResource(self._call)
        self.cash_out = CashOutResource(self._call)
        self.account = AccountResource(self._call)

    def _call(self, method: str, params: Params, options: CallOptions = _DEFAULTS) -> Any:
        """Runs one call; returns the result object the native side built from the core's reply."""
        call = self._native.prepare(method, encode_params(params), *options)
        tokens = self._tokens
        try:
            if tokens is not None:
                tokens.load()
            if self._hooks is None:
                result, attempts = call.run()
            else:
                result, attempts = call.run(_events.Dispatcher(self._hooks, asynchronous=False))
        except ConnectPSPError as error:
            log_attempts(error.__dict__.pop("_attempts", ()))
            _resubmit.remember_call(error, self, method, params)
            if tokens is not None:
                tokens.save_later()  # the error is not kept waiting by a slow store
            raise
        except BaseException as interruption:  # Ctrl-C, or a signal handler that raised
            abandoned(call, method, interruption)
            raise
        log_attempts(attempts)
        if tokens is not None:
            tokens.save()
        return result

    def resubmit(self, error: BaseException) -> Any:
        """Send a failed ``cash_in.create`` / ``cash_in.refund`` / ``cash_out.create`` again,
        unchanged, with the idempotency key it used: how to resolve an error whose
        ``outcome_unknown`` is true (the API replays the original answer, or does the work now,
        once). Never re-send with a new key."""
        return _resubmit.resubmit(self, self._call, error)

    def close(self) -> None:
        """Close idle pooled connections (a later call opens new ones), after the token store
        writes of failed calls still running (each at most ``TOKEN_STORE_TIMEOUT``)."""
        if self._tokens is not None:
            self._tokens.settle()
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
        possibly_applied: bool = False,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashIn:
        params = _cash_in_create(
            amount, external_reference, payer, webhook_url, expiration_in_minutes, open_finance, idempotency_key, possibly_applied
        )
        result: CashIn = await self._call("cashIn.create", params, _options(timeout, deadline, max_retries))
        return result

    async def get(
        self,
        transaction_id: str,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashIn:
        result: CashIn = await self._call("cashIn.get", {"id": transaction_id}, _options(timeout, deadline, max_retries))
        return result

    async def refund(
        self,
        transaction_id: str,
        *,
        reason: ReasonLike,
        description: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        possibly_applied: bool = False,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Refund:
        params = _refund(transaction_id, reason, description, idempotency_key, possibly_applied)
        result: Refund = await self._call("cashIn.refund", params, _options(timeout, deadline, max_retries))
        return result

    async def wait(self, transaction_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> CashIn:
        """The awaitable ``client.cash_in.wait``."""
        return await _wait_async("cash_in", self.get, transaction_id, timeout)


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
        possibly_applied: bool = False,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashOut:
        params = _cash_out_create(
            amount, external_reference, payee, description, webhook_url, idempotency_key, possibly_applied
        )
        result: CashOut = await self._call("cashOut.create", params, _options(timeout, deadline, max_retries))
        return result

    async def get(
        self,
        transaction_id: str,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CashOut:
        result: CashOut = await self._call("cashOut.get", {"id": transaction_id}, _options(timeout, deadline, max_retries))
        return result

    async def wait(self, transaction_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> CashOut:
        """The awaitable ``client.cash_out.wait``."""
        return await _wait_async("cash_out", self.get, transaction_id, timeout)


class AsyncAccountResource:
    """``aclient.account``: the awaitable twin of ``client.account``."""

    def __init__(self, call: AsyncCall) -> None:
        self._call = call

    async def balance(
        self,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Balance:
        result: Balance = await self._call("account.balance", {}, _options(timeout, deadline, max_retries))
        return result

    async def rebalance(
        self,
        *,
        target_amount: AmountLike,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> RebalanceResult:
        result: RebalanceResult = await self._call(
            "account.rebalance", {"target_amount": target_amount}, _options(timeout, deadline, max_retries)
        )
        return result


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
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        deadline: Optional[float] = None,
        dangerously_allow_insecure_http: bool = False,
        event_hooks: Optional[AsyncEventHooks] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[PathLike] = None,
        trust_env: bool = True,
        token_store: Optional[AnyTokenStore] = None,
        webhook_crypto_tokens: Optional[Sequence[str]] = None,
        webhook_tolerance: Optional[float] = None,
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
            event_hooks=event_hooks,
            proxy=proxy,
            ca_bundle=ca_bundle,
            trust_env=trust_env,
            token_store=token_store,
            webhook_crypto_tokens=webhook_crypto_tokens,
            webhook_tolerance=webhook_tolerance,
        )
        self.cash_in = AsyncCashInResource(self._call)
        self.cash_out = AsyncCashOutResource(self._call)
        self.account = AsyncAccountResource(self._call)

    async def _call(self, method: str, params: Params, options: CallOptions = _DEFAULTS) -> Any:
        call = self._native.prepare(method, encode_params(params), *options)
        dispatcher = None if self._hooks is None else _events.Dispatcher(self._hooks, asynchronous=True)
        tokens = self._tokens
        try:
            if tokens is not None:
                # Part of the call: bounded by what is left of its deadline, and cancelled with it.
                await tokens.load_async(call.remaining_ms() / 1000)
            result, attempts = await call.run_async(dispatcher)
        except ConnectPSPError as error:
            log_attempts(error.__dict__.pop("_attempts", ()))
            _resubmit.remember_call(error, self, method, params)
            if tokens is not None:
                tokens.save_later_async()  # the error is not kept waiting by a slow store
            if dispatcher is not None:
                await dispatcher.settle()
            raise
        except BaseException as interruption:  # the task was cancelled (task.cancel, a timeout)
            abandoned(call, method, interruption)
            raise
        log_attempts(attempts)
        if tokens is not None:
            await tokens.save_async()
        if dispatcher is not None:
            await dispatcher.settle()
        return result

    async def resubmit(self, error: BaseException) -> Any:
        """The awaitable ``Client.resubmit``: same call, same idempotency key."""
        return await _resubmit.resubmit_async(self, self._call, error)

    async def aclose(self) -> None:
        """Close idle pooled connections (a later call opens new ones), after the token store
        writes of failed calls still running (each at most ``TOKEN_STORE_TIMEOUT``)."""
        if self._tokens is not None:
            await self._tokens.settle_async()
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
