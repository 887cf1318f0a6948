"""The driver conformance suite (testdata/scenarios/, format in its README.md) through the Python
package's real loop: a ``connectpsp.Client`` whose base URL is a scripted HTTP server on
127.0.0.1, so the native driver, reqwest and its failure classification all run.

Skipped here, with the reason in the skip message:
- scenarios with a ``clockStepMs`` (the loop reads the real clock, which a test cannot step);
- scenarios with a ``connect`` failure (a listening server cannot refuse one connection);
- the ``sleepsMs`` and ``replayed`` expectations (the core runner checks them).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import pytest

import connectpsp

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
SCENARIOS = sorted((TESTDATA / "scenarios").glob("*.json"))
CREDENTIALS = {
    "client_id": "scenario-client",
    "client_secret": "scenario-client-secret-4f1e",
    "application_token": "c0ffee00-1234-4abc-9def-0123456789ab",
    "crypto_token": "scenario-crypto-token-77aa",
}
KEYED = {"cashOut.create", "cashIn.create", "cashIn.refund"}
REASONS = {200: "OK", 201: "Created", 202: "Accepted", 307: "Temporary Redirect"}


def snake(value: Any) -> Any:
    """camelCase keys (the scenario files) -> the package's snake_case keyword arguments."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


def answers_of(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for call in scenario["calls"] for a in [*call["token"], *call["api"]]]


def skip_reason(scenario: dict[str, Any]) -> Optional[str]:
    if any("clockStepMs" in call for call in scenario["calls"]) or any("clockStepMs" in a for a in answers_of(scenario)):
        return "needs clock steps: core runner only"
    if any(a.get("failure") == "connect" for a in answers_of(scenario)):
        return "needs a refused connection, which a listening server cannot script"
    return None


class ScriptedServer:
    """One HTTP/1.1 server (keep-alive) answering each request from the current call's script."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.call: dict[str, Any] = {"token": [], "api": []}
        self.next = {"token": 0, "api": 0}
        self.api_headers: list[dict[str, str]] = []
        self.errors: list[str] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def start_call(self, call: dict[str, Any]) -> None:
        with self.lock:
            self.call = call
            self.next = {"token": 0, "api": 0}
            self.api_headers = []

    def unused(self, purpose: str) -> int:
        with self.lock:
            return len([a for a in self.call[purpose][self.next[purpose] :] if not a.get("repeat")])

    def close(self) -> None:
        self.closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                buffer = buffer[length:]
                if not self._answer(conn, path, headers):
                    return

    def _answer(self, conn: socket.socket, path: str, headers: dict[str, str]) -> bool:
        """Writes the scripted answer; False when the connection must close."""
        purpose = "token" if path.endswith("/auth/token") else "api"
        with self.lock:
            queue = self.call[purpose]
            if self.next[purpose] >= len(queue):
                self.errors.append(f"unscripted {purpose} request to {path}")
                return False
            answer: dict[str, Any] = queue[self.next[purpose]]
            if not answer.get("repeat"):
                self.next[purpose] += 1
            if purpose == "api":
                self.api_headers.append(headers)
                bearer = answer.get("bearer")
                if bearer is not None and headers.get("authorization") != f"Bearer {bearer}":
                    self.errors.append(f"API attempt {len(self.api_headers)} carries the wrong token")
        failure = answer.get("failure")
        if failure == "io":
            return False  # the request was read: close without an answer
        if failure == "timeout":
            time.sleep(float(self.timeout_s) + 0.5)
            return False
        if failure == "truncated":
            whole = (TESTDATA / "api" / "cash_out_create.202.json").read_bytes()
            conn.sendall(
                b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(whole)}\r\n\r\n".encode()
                + whole[: len(whole) // 2]
            )
            return False
        status: int = answer["status"]
        extra: dict[str, str] = dict(answer.get("headers", {}))
        if "problem" in answer:
            extra.setdefault("content-type", "application/problem+json")
            body = json.dumps(
                {"type": "about:blank", "title": "Problem", "status": status, "code": answer["problem"], "detail": "scripted"}
            ).encode()
        elif "fixture" in answer:
            extra.setdefault("content-type", "application/json")
            body = (TESTDATA / "api" / answer["fixture"]).read_bytes()
        elif "json" in answer:
            extra.setdefault("content-type", "application/json")
            body = json.dumps(answer["json"]).encode()
        else:
            body = str(answer.get("body", "")).encode()
        if "retryAfter" in answer:
            extra["retry-after"] = answer["retryAfter"]
        head = f"HTTP/1.1 {status} {REASONS.get(status, 'Scripted')}\r\ncontent-length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        conn.sendall(head.encode() + b"\r\n" + body)
        return True

    timeout_s: float = 30.0


def invoke(client: connectpsp.Client, method: str, params: dict[str, Any]) -> Any:
    # Amounts as Decimal, as a Python user passes them (the package refuses binary floats).
    args = snake(json.loads(json.dumps(params), parse_float=Decimal))
    ident = args.pop("id", None)
    if method == "cashOut.create":
        return client.cash_out.create(**args)
    if method == "cashOut.get":
        return client.cash_out.get(ident)
    if method == "cashIn.create":
        return client.cash_in.create(**args)
    if method == "cashIn.get":
        return client.cash_in.get(ident)
    if method == "cashIn.refund":
        return client.cash_in.refund(ident, **args)
    if method == "account.balance":
        return client.account.balance()
    if method == "account.rebalance":
        return client.account.rebalance(**args)
    raise AssertionError(f"unknown method {method}")


def method_of(scenario: dict[str, Any], index: int) -> str:
    """The method a call invokes: a re-submission's is that of the call it re-submits."""
    call = scenario["calls"][index]
    return str(call["method"]) if "resubmit" not in call else method_of(scenario, call["resubmit"])


def params() -> list[Any]:
    # A scenario main is known to fail (testdata/scenarios/README.md) is a strict xfail: it must
    # fail, and its mark must go when the fix lands.
    out = []
    for path in SCENARIOS:
        why = json.loads(path.read_text(encoding="utf-8")).get("awaitingFix")
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


@pytest.mark.parametrize("path", params())
def test_scenario(path: Path) -> None:
    scenario: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    reason = skip_reason(scenario)
    if reason is not None:
        pytest.skip(reason)
    config = scenario["config"]
    server = ScriptedServer()
    server.timeout_s = config.get("timeoutMs", 30_000) / 1000
    secrets = [CREDENTIALS["client_secret"], CREDENTIALS["application_token"], CREDENTIALS["crypto_token"]]
    options: dict[str, Any] = {"base_url": f"http://127.0.0.1:{server.port}", **CREDENTIALS}
    if "timeoutMs" in config:
        options["timeout"] = config["timeoutMs"] / 1000
    if "maxRetries" in config:
        options["max_retries"] = config["maxRetries"]
    if "deadlineMs" in config:
        options["deadline"] = config["deadlineMs"] / 1000
    try:
        with connectpsp.Client(**options) as client:
            # The error each call ended with (None for a success): what a `resubmit` call re-submits.
            errors: list[Optional[connectpsp.ConnectPSPError]] = []
            for index, call in enumerate(scenario["calls"]):
                where = f"{scenario['name']} call {index + 1}"
                secrets += [a["json"]["accessToken"] for a in call["token"] if "accessToken" in a.get("json", {})]
                server.start_call(call)
                result: Any = None
                error: Optional[connectpsp.ConnectPSPError] = None
                resubmitted = errors[call["resubmit"]] if "resubmit" in call else None
                assert resubmitted is not None or "resubmit" not in call, f"{where}: that call did not fail"
                try:
                    if resubmitted is None:
                        result = invoke(client, call["method"], call["params"])
                    else:
                        result = client.resubmit(resubmitted)
                except connectpsp.ConnectPSPError as e:
                    error = e
                errors.append(error)
                assert not server.errors, f"{where}: {server.errors}"
                assert server.unused("api") == 0, f"{where}: scripted API answers left (fewer attempts): {error!r}"
                assert server.unused("token") == 0, f"{where}: scripted token answers left"
                expect: dict[str, Any] = call["expect"]
                if "ok" in expect:
                    assert (error is None) == expect["ok"], f"{where}: expected ok={expect['ok']}, got {error!r}"
                info: Any = result if error is None else error
                key = info.idempotency_key
                sent = [h.get("x-idempotency-key") for h in server.api_headers]
                if resubmitted is not None:
                    assert key == resubmitted.idempotency_key, f"{where}: re-submitted with another key"
                if method_of(scenario, index) in KEYED:
                    assert key, f"{where}: the result carries no key"
                    assert all(k == key for k in sent), f"{where}: attempts sent {sent}, result says {key}"
                else:
                    assert all(k is None for k in sent), f"{where}: a keyless call sent a key"
                assert info.attempts == len(sent), f"{where}: attempts field vs attempts sent"
                if "attempts" in expect:
                    assert info.attempts == expect["attempts"], f"{where}: attempts"
                if "status" in expect:
                    status = result.http_status if error is None else error.status
                    assert status == expect["status"], f"{where}: status"
                if error is None:
                    continue
                if "errorClass" in expect:
                    assert type(error).__name__ == expect["errorClass"], f"{where}: class of {error!r}"
                if "outcomeUnknown" in expect:
                    assert error.outcome_unknown == expect["outcomeUnknown"], f"{where}: outcome_unknown of {error!r}"
                if "retryAfterMs" in expect:
                    assert error.retry_after == expect["retryAfterMs"] / 1000, f"{where}: retry_after"
                text = f"{error} {error!r}"
                for bad in [*expect.get("messageExcludes", []), *secrets]:
                    assert bad not in text, f"{where}: the error shows {bad!r}: {text}"
    finally:
        server.close()
