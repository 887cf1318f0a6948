"""Every documented example (testdata/api/index.json: the API reference's and docs/openapi.yaml's)
through the package as a user calls it. A tiny loopback server answers each call with the
documented body at its documented status; requests are checked on the wire against the
documented request bodies; webhooks are signed with a test key and verified. Nothing documented
may raise."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest

import connectpsp
from conftest import TESTDATA, vectors

INDEX: list[dict[str, Any]] = vectors("api/index.json")["examples"]
KEY = "test-crypto-token-0001"


def text(name: str) -> str:
    return (TESTDATA / "api" / name).read_text(encoding="utf-8")


def exact(raw: str) -> Any:
    """JSON with every fraction as a Decimal (no binary float between the docs and the test)."""
    return json.loads(raw, parse_float=Decimal)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def params(raw: str) -> dict[str, Any]:
    """A documented request body as the package's keyword arguments (snake_case, exact amounts)."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {snake(k): convert(v) for k, v in value.items()}
        return value

    converted: dict[str, Any] = convert(exact(raw))
    return converted


class Scripted(ThreadingHTTPServer):
    """Answers POST /auth/token with the documented token and everything else with `answer`."""

    answer: tuple[int, str, str] = (200, "application/json", "{}")
    seen: list[tuple[str, str, bytes]]


class Handler(BaseHTTPRequestHandler):
    server: Scripted

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.seen.append((self.command, self.path, body))
        if self.path == "/auth/token":
            status, content_type, payload = 200, "application/json", text("auth_token.200.json")
        else:
            status, content_type, payload = self.server.answer
        data = payload.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", "req-documented")
        self.end_headers()
        self.wfile.write(data)

    do_GET = _reply
    do_POST = _reply

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    server = Scripted(("127.0.0.1", 0), Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(scripted: Scripted) -> Iterator[connectpsp.Client]:
    host, port = scripted.server_address[:2]
    with connectpsp.Client(
        client_id="YOUR_CLIENT_ID",
        client_secret="YOUR_CLIENT_SECRET",
        application_token="f47ac10b-58cc-4372-a567-0e02b2c3d479",
        crypto_token=KEY,
        base_url=f"http://{host!s}:{port}",
        max_retries=0,
    ) as c:
        yield c


DEFAULT_REQUESTS = {
    "cashIn.create": "cash_in_create.request.json",
    "cashIn.refund": "cash_in_refund.request.json",
    "cashOut.create": "cash_out_create.request.pix.json",
    "account.rebalance": "account_rebalance.request.json",
}


def invoke(client: connectpsp.Client, call: str, request: str = "") -> Any:
    def body() -> dict[str, Any]:
        return params(text(request or DEFAULT_REQUESTS[call]))

    calls: dict[str, Callable[[], Any]] = {
        "cashIn.create": lambda: client.cash_in.create(**body()),
        "cashIn.get": lambda: client.cash_in.get("US7B1JQ"),
        "cashIn.refund": lambda: client.cash_in.refund("US7B1JQ", **body()),
        "cashOut.create": lambda: client.cash_out.create(**body()),
        "cashOut.get": lambda: client.cash_out.get("IVKPRMOCDY"),
        "account.balance": lambda: client.account.balance(),
        "account.rebalance": lambda: client.account.rebalance(**body()),
    }
    return calls[call]()


def amount(value: Any) -> Decimal:
    assert isinstance(value, (Decimal, int)) and not isinstance(value, bool)
    return Decimal(value)


@pytest.mark.parametrize(
    "example", [e for e in INDEX if e["kind"] == "response"], ids=lambda e: str(e["file"])
)
def test_documented_answers_parse(example: dict[str, Any], scripted: Scripted, client: connectpsp.Client) -> None:
    raw = text(example["file"])
    documented = exact(raw)
    if example["type"] == "TokenResponse":
        # The documented token answer drives a real call to its end.
        scripted.answer = (200, "application/json", text("account_balance.200.json"))
        client.account.balance()
        assert [p for _, p, _ in scripted.seen] == ["/auth/token", "/account/balance"]
        return
    if example["type"] == "Problem":
        scripted.answer = (example["status"], "application/problem+json", raw)
        with pytest.raises(connectpsp.ConnectPSPError) as caught:
            invoke(client, example["call"])
        assert caught.value.code == documented["code"]
        assert caught.value.outcome_unknown is False
        return
    scripted.answer = (example["status"], "application/json", raw)
    result = invoke(client, example["call"])
    assert result.http_status == example["status"]
    kind = example["type"]
    if kind in ("CashIn", "CashOut"):
        assert result.transaction_id == documented["transactionId"]
        assert result.amount == amount(documented["amount"])
    elif kind == "Refund":
        assert isinstance(result, connectpsp.Refund)
        assert result.transaction_id == documented["transactionId"]
        assert result.end_to_end_id == documented["endToEndId"]
        assert result.end_to_end_id.startswith("D")
        assert result.internal_code == documented.get("internalCode")
        assert result.original_end_to_end_id == documented.get("originalEndToEndId")
    elif kind == "Balance":
        totals = documented["consolidated"]
        assert result.consolidated.total_balance == amount(totals["totalBalance"])
        assert result.consolidated.transactional_balance == amount(totals["transactionalBalance"])
        assert result.consolidated.proprietary_balance == amount(totals["proprietaryBalance"])
        for bank, doc in zip(result.banks, documented["banks"]):
            assert bank.accounts.transactional.balance == amount(doc["accounts"]["transactional"]["balance"])
    elif kind == "RebalanceResult":
        assert result.success is documented["success"]
    else:
        pytest.fail(f"no check for {kind}")


#: The documented requests of the calls the SDK makes (the index names each one's call) ...
REQUEST_CALLS = {e["file"]: e["call"] for e in INDEX if e["kind"] == "request" and e.get("call")}
#: ... and, for each such call, its first documented success answer to script.
ANSWERS: dict[str, tuple[int, str]] = {}
for _example in INDEX:
    if _example["kind"] == "response" and _example.get("call") and 200 <= (_example["status"] or 0) < 300:
        ANSWERS.setdefault(_example["call"], (_example["status"], _example["file"]))


@pytest.mark.parametrize("file", sorted(REQUEST_CALLS))
def test_documented_requests_go_out_as_documented(file: str, scripted: Scripted, client: connectpsp.Client) -> None:
    call = REQUEST_CALLS[file]
    status, answer = ANSWERS[call]
    scripted.answer = (status, "application/json", text(answer))
    invoke(client, call, file)
    token, (method, _path, body) = scripted.seen[0], scripted.seen[-1]
    assert exact(token[2].decode()) == exact(text("auth_token.request.json"))
    assert method == "POST"
    assert exact(body.decode()) == exact(text(file)), body
    # Amounts leave with exactly two decimals, as the docs write them.
    for match in re.finditer(rb'"(?:amount|targetAmount)":\s*([0-9.eE+-]+)', body):
        assert re.fullmatch(rb"[0-9]+\.[0-9]{2}", match.group(1)), body


@pytest.mark.parametrize(
    "example", [e for e in INDEX if e["kind"] == "webhook"], ids=lambda e: str(e["file"])
)
def test_documented_webhooks_verify_and_parse(example: dict[str, Any]) -> None:
    body = (TESTDATA / "api" / example["file"]).read_bytes()
    documented = exact(body.decode())
    signature = hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
    event = connectpsp.Webhook.construct_event(payload=body, signature=signature, crypto_token=KEY)
    assert event.event_type == documented["eventType"]
    data = event.data
    assert isinstance(data, connectpsp.CashIn)
    assert data.transaction_id == documented["data"]["transactionId"]
    assert data.status == documented["data"]["status"]
    assert data.amount == amount(documented["data"]["amount"])
    with pytest.raises(connectpsp.WebhookSignatureError):
        connectpsp.Webhook.construct_event(payload=body.replace(b"10.00", b"11.00"), signature=signature, crypto_token=KEY)


def test_every_example_is_walked() -> None:
    kinds = {e["kind"] for e in INDEX}
    assert kinds == {"request", "response", "webhook"}
    walked = {e["file"] for e in INDEX if e["kind"] in ("response", "webhook")} | set(REQUEST_CALLS)
    # The token request is compared on the wire with every call above.
    walked.add("auth_token.request.json")
    assert {e["file"] for e in INDEX} == walked
