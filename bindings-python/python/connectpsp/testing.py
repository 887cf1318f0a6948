"""An in-process ConnectPSP sandbox for your own tests.

::

    from connectpsp.testing import Sandbox

    def test_checkout():
        with Sandbox() as sb:
            client = sb.client()
            charge = client.cash_in.create(amount="10.00", external_reference="order-1",
                                           payer={"name": "Ana", "document": "12345678909"})
            sb.pay_cash_in(charge.transaction_id)
            assert client.cash_in.get(charge.transaction_id).status == "PAID"

The sandbox is the same stateful twin of the API the SDK itself is tested against (real
tokens, signatures, idempotency, webhooks), compiled into this package and started on a free
loopback port: nothing else needs to be installed or running. Its control API (pay a charge,
settle or fail a payout, inject faults, move the clock, read the request log) is exposed as
methods.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Mapping, Optional, Sequence, TypedDict, Union

from . import _native
from ._client import AsyncClient, Client

__all__ = ["Sandbox", "Credentials", "ClientCredentials", "SandboxControlError", "webhook_signature", "webhook_event"]


def webhook_signature(payload: bytes, crypto_token: str) -> str:
    """The ``X-Connect-Signature`` ConnectPSP would send for ``payload`` (the core's signing:
    hex HMAC-SHA256 keyed with the crypto token), to test your webhook receiver."""
    return _native.webhook_signature(bytes(payload), crypto_token)


def webhook_event(event_type: str, data: Mapping[str, Any], crypto_token: str) -> tuple[bytes, dict[str, str]]:
    """A signed webhook as ConnectPSP delivers it: ``(body, headers)`` to post to your receiver.
    ``data`` is the transaction (snake_case or camelCase keys; amounts as ``Decimal``/``str``),
    ``eventAt`` is now."""
    import datetime
    import uuid

    from ._codec import encode_params

    event_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    body = _native.webhook_event_body(str(event_type), encode_params(dict(data)), event_at).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        _native.SIGNATURE_HEADER: webhook_signature(body, crypto_token),
        _native.EVENT_ID_HEADER: str(uuid.uuid4()),
    }
    return body, headers


class SandboxControlError(RuntimeError):
    """A control-API call was refused (unknown id, wrong state, bad arguments)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"sandbox control API answered {status}: {body[:500]}")
        self.status = status
        self.body = body


class ClientCredentials(TypedDict):
    """The credential arguments of ``Client``/``AsyncClient``."""

    client_id: str
    client_secret: str
    application_token: str
    crypto_token: str


class Credentials:
    """The sandbox's credentials. Sandbox-only values, yet masked in ``repr`` like real ones."""

    __slots__ = ("client_id", "client_secret", "application_token", "crypto_token")

    def __init__(self, client_id: str, client_secret: str, application_token: str, crypto_token: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.application_token = application_token
        self.crypto_token = crypto_token

    def as_kwargs(self) -> ClientCredentials:
        """``Client(**sb.credentials.as_kwargs(), base_url=sb.base_url)``."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "application_token": self.application_token,
            "crypto_token": self.crypto_token,
        }

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret='***', application_token='***', crypto_token='***')"


class Sandbox:
    """A sandbox server running in this process. Use it as a context manager, or call
    ``start()`` and ``stop()`` (e.g. from a session-scoped pytest fixture).

    Settings: ``token_ttl`` (seconds a token lives), ``settle_delay_ms`` (how long a cash-out
    stays PROCESSING before settling on its own), ``auto_settle`` (False: payouts wait for
    ``complete_cash_out``/``fail_cash_out``), ``seed`` (repeatable ids and fault draws),
    ``port`` (0: a free one), ``allowed_hosts`` (host names accepted in the ``Host`` header
    besides the loopback ones, e.g. a name your proxy or TLS front resolves to the sandbox).
    """

    def __init__(
        self,
        *,
        token_ttl: Optional[int] = None,
        settle_delay_ms: Optional[int] = None,
        auto_settle: Optional[bool] = None,
        seed: Optional[int] = None,
        port: int = 0,
        webhook_max_attempts: Optional[int] = None,
        webhook_retry_base_ms: Optional[int] = None,
        allowed_hosts: Optional[Sequence[str]] = None,
    ) -> None:
        if isinstance(allowed_hosts, str):
            raise TypeError("allowed_hosts must be a list of host names, not a str")
        settings: dict[str, Any] = {
            "port": port,
            "token_ttl_secs": token_ttl,
            "settle_delay_ms": settle_delay_ms,
            "auto_settle": auto_settle,
            "seed": seed,
            "webhook_max_attempts": webhook_max_attempts,
            "webhook_retry_base_ms": webhook_retry_base_ms,
            "allowed_hosts": None if allowed_hosts is None else [str(h) for h in allowed_hosts],
        }
        self._settings = json.dumps({k: v for k, v in settings.items() if v is not None})
        self._server: Optional[_native.NativeSandbox] = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._server is None or not self._server.running:
            self._server = _native.NativeSandbox(self._settings)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    def _running(self) -> _native.NativeSandbox:
        if self._server is None or not self._server.running:
            raise RuntimeError("the sandbox is not running: use `with Sandbox() as sb:` or call start()")
        return self._server

    @property
    def base_url(self) -> str:
        return self._running().base_url

    @property
    def credentials(self) -> Credentials:
        return Credentials(*self._running().credentials)

    def __repr__(self) -> str:
        where = self._server.base_url if self._server is not None and self._server.running else "stopped"
        return f"Sandbox({where})"

    # --- clients ---------------------------------------------------------------------------

    def client(self, **options: Any) -> Client:
        """A ``Client`` for this sandbox; ``options`` (timeout, max_retries, ...) override."""
        return Client(**{**self.credentials.as_kwargs(), "base_url": self.base_url, **options})

    def async_client(self, **options: Any) -> AsyncClient:
        """An ``AsyncClient`` for this sandbox."""
        return AsyncClient(**{**self.credentials.as_kwargs(), "base_url": self.base_url, **options})

    # --- control API -----------------------------------------------------------------------

    def _control(self, method: str, path: str, body: Optional[dict[str, Any]] = None) -> Any:
        import urllib.error
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_sandbox{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        # The sandbox is on loopback: no proxy from the environment may intercept it.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                text = response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            raise SandboxControlError(error.code, error.read().decode("utf-8", "replace")) from None
        return json.loads(text) if text.strip() else None

    def pay_cash_in(self, transaction_id: str, **payer_bank_data: str) -> Any:
        """Simulate the payer paying the charge (it becomes PAID and CASHIN_PAID is sent).
        Optional ``ispb``, ``bank``, ``branch``, ``account`` set the payer's bank data."""
        body = {"bankData": _camel(payer_bank_data)} if payer_bank_data else {}
        return self._control("POST", f"/cash-in/{_segment(transaction_id)}/pay", body)

    def complete_cash_out(self, transaction_id: str) -> Any:
        """Settle a PROCESSING payout (COMPLETED, CASHOUT_COMPLETED sent)."""
        return self._control("POST", f"/cash-out/{_segment(transaction_id)}/complete", {})

    def fail_cash_out(self, transaction_id: str, *, code: str = "PIX_KEY_NOT_FOUND", message: Optional[str] = None) -> Any:
        """Fail a PROCESSING payout with ``failure.code`` (FAILED, CASHOUT_FAILED sent)."""
        body: dict[str, Any] = {"code": code}
        if message is not None:
            body["message"] = message
        return self._control("POST", f"/cash-out/{_segment(transaction_id)}/fail", body)

    def inject_faults(
        self,
        *,
        kind: str = "status",
        method: Optional[str] = None,
        path: Optional[str] = None,
        status: Optional[int] = None,
        retry_after_seconds: Optional[int] = None,
        latency_ms: Optional[int] = None,
        count: Optional[int] = None,
        percent: Optional[int] = None,
    ) -> Any:
        """Make the next ``count`` (or ``percent`` %) matching requests fail.

        ``kind``: ``"status"`` (answer ``status``, e.g. 500/503, before doing anything),
        ``"rate_limit"`` (429 with Retry-After), ``"latency"`` (delay by ``latency_ms``), or
        ``"commit_then_drop"`` (do the work, then close the connection without answering).
        ``method``/``path`` select the requests (e.g. ``"POST"``, ``"/cash-out"``)."""
        body = {
            "kind": kind,
            "method": method,
            "path": path,
            "status": status,
            "retryAfterSeconds": retry_after_seconds,
            "latencyMs": latency_ms,
            "count": count,
            "percent": percent,
        }
        return self._control("POST", "/faults", {k: v for k, v in body.items() if v is not None})

    def clear_faults(self) -> Any:
        return self._control("DELETE", "/faults")

    def faults(self) -> Any:
        """The armed faults and how often each fired."""
        return self._control("GET", "/faults")

    def transactions(self) -> list[dict[str, Any]]:
        """Every cash-in and cash-out the sandbox holds."""
        return _items(self._control("GET", "/transactions"), "transactions")

    def requests(self, since: Optional[int] = None) -> list[dict[str, Any]]:
        """Every API request received (method, path, status, idempotencyKey, ...), oldest first."""
        query = "" if since is None else f"?since={int(since)}"
        return _items(self._control("GET", f"/requests{query}"), "requests")

    def last_request_seq(self) -> int:
        """The sequence number of the last logged request: pass it to ``requests(since=...)``
        to see only what a test sent after this point."""
        value = self._control("GET", "/requests?since=18446744073709551615")
        return int(value.get("lastSeq", 0)) if isinstance(value, dict) else 0

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every webhook delivery attempt."""
        return _items(self._control("GET", "/webhooks"), "webhooks")

    def advance_clock(self, seconds: Union[int, float]) -> Any:
        """Move the sandbox's time forward (expires tokens and charges)."""
        return self._control("POST", "/clock/advance", {"ms": int(round(seconds * 1000))})

    def set_balances(self, **balances: Any) -> Any:
        """Set the account balances (see the sandbox README for the fields)."""
        return self._control("POST", "/balances", _camel(balances))

    def update_settings(
        self,
        *,
        token_ttl_seconds: Optional[int] = None,
        settle_delay_ms: Optional[int] = None,
        auto_settle: Optional[bool] = None,
    ) -> Any:
        """Change settings of the running sandbox; only the ones given change. Returns them all.

        ``token_ttl_seconds``: lifetime of the tokens issued from now on; ``settle_delay_ms``:
        how long a new cash-out stays PROCESSING before it settles on its own; ``auto_settle``:
        False makes payouts wait for ``complete_cash_out``/``fail_cash_out``. E.g.
        ``sb.update_settings(token_ttl_seconds=2)``."""
        settings = {"tokenTtlSeconds": token_ttl_seconds, "settleDelayMs": settle_delay_ms, "autoSettle": auto_settle}
        return self._control("POST", "/settings", {k: v for k, v in settings.items() if v is not None})

    def reset(self) -> Any:
        """Forget every transaction, request, delivery and fault."""
        return self._control("POST", "/reset", {})


def _camel(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        head, *rest = key.split("_")
        out[head + "".join(part.title() for part in rest)] = value
    return out


def _segment(transaction_id: str) -> str:
    import urllib.parse

    return urllib.parse.quote(transaction_id, safe="")


def _items(value: Any, key: str) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = value.get(key, value.get("items", []))
    return list(value or [])
