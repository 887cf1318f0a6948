"""Every example, and the demo, run for real against a sandbox process.

Framework examples are started as servers, hit with a webhook signed the way ConnectPSP signs
(HMAC-SHA256 of the raw body, keyed with the CryptoToken) and with a tampered copy, then stopped.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, Sandbox

PYTHON = sys.executable
EXAMPLES = ROOT / "examples"
# Pretty-printed on purpose, with `10.00`: re-serialising it gives other bytes.
WEBHOOK_BODY = b"""{
  "eventType": "CASHIN_PAID",
  "eventAt": "2026-03-10T14:22:18Z",
  "data": {
    "transactionId": "kk6g232xel65a0daee4dd13kk2912714964",
    "internalCode": "US7B1JQ",
    "externalReference": "test-order-001",
    "endToEndId": "E00416968202603101827cemeFscF6AG",
    "status": "PAID",
    "amount": 10.00,
    "payer": {"name": "Test User", "document": "12345678909"}
  }
}"""


def run(args: list[str], sandbox: Sandbox, timeout: float = 180, **env: str) -> str:
    """Runs a command with the sandbox's environment; fails the test with its output if it fails."""
    result = subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, **sandbox.env, "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args)} exited {result.returncode}:\n{output}"
    for secret in ("CONNECTPSP_CLIENT_SECRET", "CONNECTPSP_CRYPTO_TOKEN"):
        assert sandbox.env[secret] not in output, f"{secret} printed by {' '.join(args)}"
    return output


def ledger(sandbox: Sandbox, with_status: bool = False) -> list[tuple[str, ...]]:
    """(kind, amount[, status]) of every transaction the sandbox holds, sorted. Payouts settle on
    their own after a second, so only final states are worth comparing."""
    items = sandbox.control("GET", "transactions")["transactions"]
    return sorted((t["kind"], t["amount"]) + ((t["status"],) if with_status else ()) for t in items)


def requests_to(sandbox: Sandbox, method: str, path: str) -> int:
    return sum(1 for r in sandbox.control("GET", "requests")["requests"] if (r["method"], r["path"]) == (method, path))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def sign(body: bytes, crypto_token: str) -> str:
    return hmac.new(crypto_token.encode(), body, hashlib.sha256).hexdigest()


class Server:
    """An example web server started in the background and stopped at the end of the test."""

    def __init__(self, args: list[str], sandbox: Sandbox) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **sandbox.env, "PORT": str(self.port)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{args} did not start listening:\n{self.output}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.output = out

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process.poll() is None:
            self.stop()


def check_webhook_endpoint(server: Server, path: str, crypto_token: str) -> None:
    url = f"http://127.0.0.1:{server.port}{path}"
    headers = {"Content-Type": "application/json", "X-Connect-Signature": sign(WEBHOOK_BODY, crypto_token)}
    assert post(url, WEBHOOK_BODY, headers) == 200
    # One byte changed (10.00 → 90.00): the same signature no longer matches.
    tampered = WEBHOOK_BODY.replace(b"10.00", b"90.00")
    assert post(url, tampered, headers) == 400
    assert post(url, WEBHOOK_BODY, {**headers, "X-Connect-Signature": sign(WEBHOOK_BODY, "not-the-token")}) == 400


# --- Python ------------------------------------------------------------------------------------


def test_python_quickstart(sandbox: Sandbox) -> None:
    out = run([PYTHON, "examples/python/quickstart.py"], sandbox)
    assert re.search(r"cash-in \S+: AWAITING_PAYMENT, R\$ 150\.50", out), out
    assert re.search(r"cash-out \S+: PROCESSING", out), out
    assert "copia-e-cola: 000201" in out, out
    assert ledger(sandbox) == [("cash_in", "150.50"), ("cash_out", "50.00")]


def test_python_async_payouts_pays_each_exactly_once(sandbox: Sandbox) -> None:
    out = run([PYTHON, "examples/python/async_payouts.py", "--count", "1000", "--batch", "ci-batch"], sandbox)
    assert "1000 payouts accepted" in out, out
    assert "1000 replies, 0 new payouts" in out, out
    # The sandbox's own ledger: exactly 1,000 payouts of that batch, whatever was re-submitted.
    items = sandbox.control("GET", "transactions")["transactions"]
    batch = [t for t in items if t["externalReference"].startswith("ci-batch-")]
    assert len(batch) == len(items) == 1000
    assert {t["amount"] for t in batch} == {"10.00"}
    assert len({t["idempotencyKey"] for t in batch}) == 1000


def test_fastapi_webhooks_verifies_the_raw_body(sandbox: Sandbox) -> None:
    with Server([PYTHON, "examples/python/fastapi_webhooks.py"], sandbox) as server:
        check_webhook_endpoint(server, "/webhooks/connectpsp", sandbox.env["CONNECTPSP_CRYPTO_TOKEN"])
        server.stop()
    assert "verified CASHIN_PAID for kk6g232xel65a0daee4dd13kk2912714964 (PAID)" in server.output


# --- JavaScript --------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["quickstart.mjs", "quickstart.cjs"])
def test_js_quickstart(sandbox: Sandbox, script: str) -> None:
    out = run(["node", f"examples/js/{script}"], sandbox)
    assert re.search(r"cash-in \S+: AWAITING_PAYMENT, R\$ 150\.50", out), out
    assert re.search(r"cash-out \S+: PROCESSING", out), out
    assert ledger(sandbox) == [("cash_in", "150.50"), ("cash_out", "50.00")]


def test_express_webhooks_verifies_the_raw_body(sandbox: Sandbox) -> None:
    token = sandbox.env["CONNECTPSP_CRYPTO_TOKEN"]
    with Server(["node", "examples/js/express_webhooks.mjs"], sandbox) as server:
        check_webhook_endpoint(server, "/webhooks/connectpsp", token)
        # The classic mistake: verifying JSON.stringify(req.body) rejects a genuine webhook.
        url = f"http://127.0.0.1:{server.port}/webhooks/the-classic-mistake"
        headers = {"Content-Type": "application/json", "X-Connect-Signature": sign(WEBHOOK_BODY, token)}
        assert post(url, WEBHOOK_BODY, headers) == 400
        server.stop()
    assert "verified CASHIN_PAID for kk6g232xel65a0daee4dd13kk2912714964 (PAID)" in server.output
    assert "signature mismatch on the re-serialised body" in server.output


def test_edge_worker_uses_no_node_builtins(sandbox: Sandbox) -> None:
    source = (EXAMPLES / "js/edge_worker.mjs").read_text()
    imports = re.findall(r"""(?:from|import|require)\s*\(?\s*["']([^"']+)["']""", source)
    assert imports == ["connectpsp"], imports
    assert not re.search(r"\bprocess\.|\bBuffer\b|\brequire\(", source)
    out = run(["node", "examples/tests/edge_harness.mjs"], sandbox)
    assert "edge worker: OK" in out, out
    # One payout although it was requested twice; the bad amount never left the worker.
    assert ledger(sandbox) == [("cash_out", "25.00")]
    assert requests_to(sandbox, "POST", "/cash-out") == 2


# --- Rust ----------------------------------------------------------------------------------------


def test_rust_sans_io(sandbox: Sandbox) -> None:
    run(["cargo", "run", "--quiet", "-p", "connectpsp-core", "--example", "sans_io"], sandbox, timeout=600)
    # It must at least authenticate, create a cash-in and a cash-out, and read the balance.
    kinds = {entry[0] for entry in ledger(sandbox)}
    assert kinds == {"cash_in", "cash_out"}, ledger(sandbox)
    paths = {(r["method"], r["path"]) for r in sandbox.control("GET", "requests")["requests"]}
    assert {("POST", "/auth/token"), ("POST", "/cash-in"), ("POST", "/cash-out"), ("GET", "/account/balance")} <= paths


# --- the demo ------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["demo/demo.py", "demo/demo.mjs"])
def test_demo_reconciles_to_the_centavo(sandbox: Sandbox, script: str) -> None:
    interpreter = PYTHON if script.endswith(".py") else "node"
    out = run([interpreter, script], sandbox)
    assert "Reconciled to the centavo" in out, out
    assert ledger(sandbox, with_status=True) == [
        ("cash_in", "150.50", "REFUNDED"),
        ("cash_out", "25.00", "FAILED"),
        ("cash_out", "50.00", "COMPLETED"),
    ]
    assert "\x1b[" not in out, "colour codes in a non-TTY transcript"
    assert sandbox.env["CONNECTPSP_CLIENT_SECRET"] not in out
    assert sandbox.env["CONNECTPSP_CRYPTO_TOKEN"] not in out
