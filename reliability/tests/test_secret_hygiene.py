"""Secret hygiene: a whole flow at DEBUG and every error path, then a scan of everything a user
could end up printing or shipping to a log aggregator — log records, str/repr of results,
errors and the client, tracebacks, process output — for the client secret, the crypto token,
any access token (JWT) and the full CPF/CNPJ values used. Zero hits allowed."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import io
import logging
import pickle
import random
import re
import threading
import traceback
from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from conftest import client_kwargs

import connectpsp

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")


def cpf_with_check_digits(base9: str) -> str:
    digits = [int(c) for c in base9]
    for length in (9, 10):
        total = sum(d * (length + 1 - i) for i, d in enumerate(digits[:length]))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def cnpj_with_check_digits(base12: str) -> str:
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    digits = [int(c) for c in base12]
    for w in (weights, [6] + weights):
        r = sum(d * k for d, k in zip(digits, w)) % 11
        digits.append(0 if r < 2 else 11 - r)
    return "".join(map(str, digits))


@contextmanager
def local_server(handler: Any) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Evidence:
    """Everything captured, tagged with where it came from (for a readable failure)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, text: Any) -> None:
        self.items.append((where, text if isinstance(text, str) else repr(text)))

    def error(self, where: str, error: BaseException) -> None:
        self.add(f"{where}: str", str(error))
        self.add(f"{where}: repr", repr(error))
        self.add(f"{where}: traceback", "".join(traceback.format_exception(type(error), error, error.__traceback__)))
        self.add(f"{where}: vars", repr(vars(error)))
        self.add(f"{where}: args", repr(error.args))
        self.add(f"{where}: pickle", pickle.dumps(error).decode("latin-1"))
        logging.getLogger("app").exception("%s failed", where, exc_info=error)

    def raises(self, where: str, expected: type[BaseException], fn: Any, *args: Any, **kwargs: Any) -> BaseException:
        with pytest.raises(expected) as caught:
            fn(*args, **kwargs)
        self.error(where, caught.value)
        return caught.value

    def hits(self, needles: dict[str, str]) -> list[str]:
        found = []
        for where, text in self.items:
            for name, needle in needles.items():
                if needle and needle in text:
                    found.append(f"{name} in {where}")
            if JWT.search(text):
                found.append(f"a JWT in {where}")
        return found


def test_no_secret_or_document_anywhere(sandbox, capfd):
    rng = random.Random()
    cpf = cpf_with_check_digits("".join(rng.choice("0123456789") for _ in range(9)))
    cnpj = cnpj_with_check_digits("".join(rng.choice("0123456789") for _ in range(8)) + "0001")
    bad_cpf = cpf[:-1] + str((int(cpf[-1]) + 1) % 10)
    creds = sandbox.credentials
    wrong_secret = "rel-wrong-secret-" + "%032x" % rng.getrandbits(128)
    wrong_crypto = "rel-wrong-crypto-" + "%032x" % rng.getrandbits(128)
    access_token = sandbox.access_token()  # one real token, fetched outside the SDK

    log_text = io.StringIO()
    handler = logging.StreamHandler(log_text)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    ev = Evidence()
    try:
        run_everything(sandbox, ev, cpf, cnpj, bad_cpf, wrong_secret, wrong_crypto)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    out, err = capfd.readouterr()
    ev.add("logs", log_text.getvalue())
    ev.add("stdout", out)
    ev.add("stderr", err)
    assert "connectpsp" in log_text.getvalue(), "the SDK logged nothing at DEBUG: the scan would prove nothing"
    needles = {
        "client secret": creds.client_secret,
        "crypto token": creds.crypto_token,
        "access token": access_token,
        "wrong client secret": wrong_secret,
        "wrong crypto token": wrong_crypto,
        "CPF": cpf,
        "CNPJ": cnpj,
        "invalid CPF": bad_cpf,
    }
    assert ev.hits(needles) == []
    assert len(ev.items) > 100


def run_everything(sandbox, ev: Evidence, cpf, cnpj, bad_cpf, wrong_secret, wrong_crypto) -> None:
    kwargs = client_kwargs(sandbox, max_retries=0, timeout=1.0)
    client = connectpsp.Client(**kwargs)
    for where, text in (("client repr", repr(client)), ("client str", str(client)), ("client vars", repr(vars(client)))):
        ev.add(where, text)
    for name, value in vars(client).items():
        ev.add(f"client.{name}", repr(value))
    payer = {"name": "Ana Souza", "document": cpf}
    payee = {"name": "Loja Exemplo", "document": cnpj,
             "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": cpf}}

    # --- the happy flow ------------------------------------------------------------------
    received: list[tuple[bytes, str]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers.get("X-Connect-Signature", "")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with local_server(Receiver) as hook_url:
        cash_in = client.cash_in.create(amount="150.50", external_reference="sec-in-1", payer=payer,
                                        webhook_url=hook_url + "/hook")
        sandbox.control("POST", f"/_sandbox/cash-in/{cash_in.transaction_id}/pay")
        paid = client.cash_in.get(cash_in.transaction_id)
        refunded = client.cash_in.refund(cash_in.transaction_id, reason="CUSTOMER_REQUEST", description="ticket 1")
        cash_out = client.cash_out.create(amount="20.00", external_reference="sec-out-1", payee=payee,
                                          webhook_url=hook_url + "/hook")
        got = client.cash_out.get(cash_out.transaction_id)
        balance = client.account.balance()
        rebalanced = client.account.rebalance(target_amount="900000.00")
        for where, result in (("cash_in", cash_in), ("paid", paid), ("refunded", refunded), ("cash_out", cash_out),
                              ("cash_out get", got), ("balance", balance), ("rebalance", rebalanced)):
            ev.add(f"{where} repr", repr(result))
            ev.add(f"{where} str", str(result))
        sandbox.wait_until(lambda: len(received) >= 3, 10, "webhook deliveries")
    for i, (body, signature) in enumerate(received):
        event = client.webhooks.construct_event(body, {"X-Connect-Signature": signature})
        ev.add(f"event {i} repr", repr(event))
        ev.add(f"event {i} str", str(event))
        ev.raises(f"tampered webhook {i}", connectpsp.WebhookSignatureError,
                  client.webhooks.construct_event, body + b" ", {"X-Connect-Signature": signature})
        forged = hmac.new(wrong_crypto.encode(), body, hashlib.sha256).hexdigest()
        ev.raises(f"webhook wrong key {i}", connectpsp.WebhookSignatureError,
                  client.webhooks.construct_event, body, {"X-Connect-Signature": forged})

    # --- every error path ----------------------------------------------------------------
    ev.raises("invalid CPF", connectpsp.ValidationError, client.cash_in.create, amount="1.00",
              external_reference="sec-bad-doc", payer={"name": "X", "document": bad_cpf})
    ev.raises("invalid pix key", connectpsp.ValidationError, client.cash_out.create, amount="1.00",
              external_reference="sec-bad-key", payee={**payee, "destination": {"type": "PIX", "pix_key_type": "CNPJ", "pix_key": bad_cpf}})
    ev.raises("float amount", connectpsp.ValidationError, client.cash_out.create, amount=0.1,
              external_reference="sec-float", payee=payee)
    ev.raises("insecure base url", connectpsp.ValidationError, connectpsp.Client,
              **{**kwargs, "base_url": "http://api.example.com"})
    ev.raises("empty secret", connectpsp.ValidationError, connectpsp.Client, **{**kwargs, "client_secret": ""})
    ev.raises("wrong secret", connectpsp.AuthenticationError,
              connectpsp.Client(**{**kwargs, "client_secret": wrong_secret}).account.balance)
    ev.raises("wrong application token", connectpsp.AuthenticationError,
              connectpsp.Client(**{**kwargs, "application_token": "00000000-0000-4000-8000-000000000000"}).account.balance)
    ev.raises("wrong crypto token", connectpsp.SignatureError,
              connectpsp.Client(**{**kwargs, "crypto_token": wrong_crypto}).cash_out.create,
              amount="1.00", external_reference="sec-sig", payee=payee)
    ev.raises("not found", connectpsp.NotFoundError, client.cash_out.get, "00000000-0000-4000-8000-00000000dead")
    ev.raises("duplicate reference", connectpsp.ConflictError, client.cash_out.create, amount="20.00",
              external_reference="sec-out-1", payee=payee)
    ev.raises("key reused", connectpsp.ConflictError, client.cash_out.create, amount="21.00",
              external_reference="sec-out-2", payee=payee, idempotency_key=cash_out.idempotency_key)
    ev.raises("refund not paid", connectpsp.BusinessRuleError, client.cash_in.refund,
              client.cash_in.create(amount="2.00", external_reference="sec-in-2", payer=payer).transaction_id,
              reason="CUSTOMER_REQUEST")
    ev.raises("fraud", connectpsp.BusinessRuleError, client.cash_out.create, amount="666.66",
              external_reference="sec-fraud", payee=payee)
    ev.raises("insufficient funds", connectpsp.InsufficientFundsError, client.cash_out.create,
              amount="9999999999.99", external_reference="sec-poor", payee=payee)
    for kind, extra, expected in (
        ("rate_limit", {"retryAfterSeconds": 1}, connectpsp.RateLimitError),
        ("status", {"status": 503}, connectpsp.ServerError),
        ("latency", {"latencyMs": 1500}, connectpsp.TimeoutError),
        ("commit_then_drop", {}, connectpsp.ConnectionError),
    ):
        sandbox.add_fault(method="POST", path="/cash-out", kind=kind, count=1, **extra)
        ev.raises(f"fault {kind}", expected, client.cash_out.create, amount="3.00",
                  external_reference=f"sec-fault-{kind}", payee=payee)
    refused = connectpsp.Client(**{**kwargs, "base_url": "http://127.0.0.1:9"})
    ev.raises("connection refused", connectpsp.ConnectionError, refused.cash_out.create, amount="3.00",
              external_reference="sec-refused", payee=payee)

    # A server that answers the token exchange with garbage quoting a real token and the
    # secret: the decode error must not quote the body.
    leaky_token = sandbox.access_token()

    class Garbage(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = f"<html>{leaky_token} {kwargs['client_secret']}</html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with local_server(Garbage) as garbage_url:
        garbage = connectpsp.Client(**{**kwargs, "base_url": garbage_url})
        ev.raises("garbage token answer", connectpsp.DecodeError, garbage.account.balance)
