"""A sandbox binary started on a free port for one test or chaos run, and its control API.

Every reliability script talks to its own sandbox process (never an in-process one) so that
its request log and transaction list hold only that run, and so the JS runner can share it.
Only the standard library is used: the control API is plain JSON over HTTP.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sandbox_binary() -> str:
    """$CONNECTPSP_SANDBOX_BIN, else the debug build of `make sandbox-bin`."""
    explicit = os.environ.get("CONNECTPSP_SANDBOX_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "connectpsp", "target"
    )
    return os.path.join(target, "debug", "connectpsp-sandbox")


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    application_token: str
    crypto_token: str


def fresh_credentials() -> Credentials:
    """Random, recognisable credentials: a scan for them cannot hit by accident elsewhere."""
    return Credentials(
        client_id="rel-client-" + secrets.token_hex(4),
        client_secret="rel-secret-" + secrets.token_hex(16),
        application_token=str(_uuid4()),
        crypto_token="rel-crypto-" + secrets.token_hex(16),
    )


def _uuid4() -> str:
    import uuid

    return str(uuid.uuid4())


class SandboxProcess:
    """`with SandboxProcess() as sb:` starts the binary on port 0 and stops it on exit."""

    def __init__(
        self,
        credentials: Optional[Credentials] = None,
        *,
        seed: int = 1,
        token_ttl: Optional[int] = None,
        settle_delay_ms: int = 50,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.credentials = credentials or fresh_credentials()
        self._args = [
            sandbox_binary(),
            "--port",
            "0",
            "--seed",
            str(seed),
            "--settle-delay-ms",
            str(settle_delay_ms),
            "--client-id",
            self.credentials.client_id,
            "--client-secret",
            self.credentials.client_secret,
            "--application-token",
            self.credentials.application_token,
            "--crypto-token",
            self.credentials.crypto_token,
            *extra_args,
        ]
        if token_ttl is not None:
            self._args += ["--token-ttl", str(token_ttl)]
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._output_path: Optional[str] = None
        self.base_url = ""

    def __enter__(self) -> "SandboxProcess":
        if not os.access(self._args[0], os.X_OK):
            raise RuntimeError(f"sandbox binary not found at {self._args[0]}: run `make sandbox-bin`")
        # Its output goes to a file, not a pipe: a pipe nobody drains would block (or, closed,
        # kill) the sandbox when it prints. The file is read through a separate open file, so the
        # reads never move the sandbox's write position. Only the first line matters.
        fd, self._output_path = tempfile.mkstemp(prefix="connectpsp-sandbox-", suffix=".out")
        with os.fdopen(fd, "ab") as output:
            proc = self._proc = subprocess.Popen(self._args, stdout=output, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        first = ""
        while not first.endswith("\n"):
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox did not start (output: {first!r})")
            time.sleep(0.02)
            with open(self._output_path) as output_text:
                first = output_text.readline()
        if not first.startswith("CONNECTPSP_SANDBOX_URL="):
            self.stop()
            raise RuntimeError(f"unexpected first line from the sandbox: {first!r}")
        self.base_url = first.strip().split("=", 1)[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        path, self._output_path = self._output_path, None
        if path is not None:
            os.unlink(path)

    # --- control API ---------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read()[:300]!r}") from None
        return json.loads(text) if text else None

    def transactions(
        self, *, external_reference: Optional[str] = None, idempotency_key: Optional[str] = None
    ) -> list[dict[str, Any]]:
        """Every transaction, or those with this externalReference / idempotency key."""
        query = {
            k: v
            for k, v in (("externalReference", external_reference), ("idempotencyKey", idempotency_key))
            if v is not None
        }
        path = "/_sandbox/transactions" + ("?" + urllib.parse.urlencode(query) if query else "")
        rows: list[dict[str, Any]] = self.control("GET", path)["transactions"]
        return rows

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.control("GET", f"/_sandbox/requests?since={since}")["requests"]
        return rows

    def last_request_seq(self) -> int:
        return int(self.control("GET", "/_sandbox/requests?since=18446744073709551615")["lastSeq"])

    def settings(self, **values: Any) -> Any:
        return self.control("POST", "/_sandbox/settings", values)

    def add_fault(self, **spec: Any) -> Any:
        return self.control("POST", "/_sandbox/faults", spec)

    def clear_faults(self) -> None:
        self.control("DELETE", "/_sandbox/faults")

    def balance(self) -> dict[str, Any]:
        """GET /account/balance with a token fetched here (raw HTTP, not the SDK)."""
        token = self.access_token()
        request = urllib.request.Request(
            self.base_url + "/account/balance",
            headers={
                "Authorization": f"Bearer {token}",
                "ApplicationToken": self.credentials.application_token,
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            # parse_float=Decimal: balances are compared to the centavo, never as binary floats.
            result: dict[str, Any] = json.loads(response.read(), parse_float=Decimal)
        return result

    def access_token(self) -> str:
        """A real access token from POST /auth/token (the secret scan looks for it)."""
        body = json.dumps(
            {"clientId": self.credentials.client_id, "clientSecret": self.credentials.client_secret}
        ).encode()
        request = urllib.request.Request(
            self.base_url + "/auth/token",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "ApplicationToken": self.credentials.application_token},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            token: str = json.loads(response.read())["accessToken"]
        return token

    def wait_until(self, predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout} s for {what}")
            time.sleep(0.1)
