"""Transport safety of the Python package: https-only base URLs (loopback excepted), redirects
never followed, response bodies capped at 10 MB, certificates verified (rustls)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import ssl
import subprocess
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import pytest

import connectpsp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAP = 10 * 1024 * 1024
CREDS = dict(client_id="id", client_secret="secret-value", application_token="f47ac10b-58cc-4372-a567-0e02b2c3d479",
             crypto_token="crypto-value")
TOKEN = {"accessToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0In0.c2ln", "tokenType": "Bearer", "expiresIn": 3600}
BALANCE = {
    "currency": "BRL",
    "consolidated": {"totalBalance": 10.00, "transactionalBalance": 10.00, "proprietaryBalance": 0.00},
    "banks": [],
}


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://10.0.0.5:8080",
        "http://192.168.1.10",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "ftp://api.connectpsp.com",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "",
        "https://",
        "api.connectpsp.com",
        "https://api.connectpsp.com\r\nX-Evil: 1",
    ],
)
def test_base_urls_that_are_refused(url):
    with pytest.raises(connectpsp.ValidationError) as caught:
        connectpsp.Client(**CREDS, base_url=url)
    assert caught.value.field in ("base_url", "baseUrl")
    assert caught.value.attempts == 0


@pytest.mark.parametrize(
    "url",
    ["https://api.example.com", "https://api.connectpsp.com/", "http://127.0.0.1:8080", "http://localhost:8080",
     "http://[::1]:8080"],
)
def test_base_urls_that_are_accepted(url):
    connectpsp.Client(**CREDS, base_url=url)


def test_plain_http_elsewhere_needs_the_loud_option():
    with pytest.raises(connectpsp.ValidationError):
        connectpsp.Client(**CREDS, base_url="http://10.0.0.5:8080")
    client = connectpsp.Client(**CREDS, base_url="http://10.0.0.5:8080", dangerously_allow_insecure_http=True)
    assert client.base_url.startswith("http://10.0.0.5")


class Recorder:
    def __init__(self) -> None:
        self.hits: list[str] = []


@contextmanager
def serve(handler_factory: Any, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (ConnectionError, ssl.SSLError):
                self.close_connection = True

        def do_ANY(self) -> None:  # noqa: N802
            recorder.hits.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            handler_factory(self)

        do_GET = do_POST = do_ANY  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{scheme}://{'localhost' if tls else '127.0.0.1'}:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


def answer(h: Any, status: int, body: bytes, headers: dict[str, str] | None = None, chunked: bool = False) -> None:
    h.send_response(status)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.send_header("Content-Type", "application/json")
    if chunked:
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for start in range(0, len(body), 1 << 20):
            piece = body[start:start + (1 << 20)]
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        h.wfile.write(b"0\r\n\r\n")
    else:
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_never_followed(status):
    with serve(lambda h: answer(h, 200, json.dumps(BALANCE).encode())) as (target_url, target):

        def redirecting(h: Any) -> None:
            if h.path == "/auth/token":
                answer(h, 200, json.dumps(TOKEN).encode())
            else:
                answer(h, status, b"", {"Location": target_url + h.path})

        with serve(redirecting) as (url, origin):
            client = connectpsp.Client(**CREDS, base_url=url, max_retries=0, timeout=2.0)
            with pytest.raises(connectpsp.ConnectPSPError) as caught:
                client.account.balance()
    assert caught.value.status == status
    assert origin.hits == ["POST /auth/token", "GET /account/balance"]
    assert target.hits == [], "the redirect was followed (and the bearer token sent elsewhere)"


def balance_of_size(size: int) -> bytes:
    body = json.dumps({**BALANCE, "pad": ""}).encode()
    return body.replace(b'"pad": ""', b'"pad": "' + b"x" * (size - len(body)) + b'"')


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bodies_over_10_mb_are_refused(chunked):
    def handler(h: Any) -> None:
        if h.path == "/auth/token":
            answer(h, 200, json.dumps(TOKEN).encode())
        elif h.path == "/account/balance":
            answer(h, 200, balance_of_size(CAP + 1), chunked=chunked)

    with serve(handler) as (url, _):
        client = connectpsp.Client(**CREDS, base_url=url, max_retries=0, timeout=10.0)
        with pytest.raises(connectpsp.ConnectionError) as caught:
            client.account.balance()
    # No status: the answer was never accepted as a response (the core sees an I/O failure).
    assert caught.value.status is None and caught.value.attempts == 1


def test_a_body_just_under_the_cap_is_read():
    big = balance_of_size(CAP - 1024)

    def handler(h: Any) -> None:
        answer(h, 200, json.dumps(TOKEN).encode() if h.path == "/auth/token" else big, chunked=h.path != "/auth/token")

    with serve(handler) as (url, _):
        client = connectpsp.Client(**CREDS, base_url=url, max_retries=0, timeout=10.0)
        assert str(client.account.balance().consolidated.transactional_balance) == "10.00"


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: Any) -> ssl.SSLContext:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the untrusted certificate of this test"
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "cert.pem", d / "key.pem")
    return context


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(self_signed):
    with serve(lambda h: answer(h, 200, json.dumps(TOKEN).encode()), tls=self_signed) as (url, server):
        client = connectpsp.Client(**CREDS, base_url=url, max_retries=0, timeout=5.0)
        with pytest.raises(connectpsp.ConnectionError) as caught:
            client.cash_out.create(
                amount="1.00", external_reference="tls-1",
                payee={"name": "A", "document": "12345678909",
                       "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"}},
            )
    assert server.hits == [], "a request reached a server whose certificate is not trusted"
    assert caught.value.outcome_unknown is False


def test_tls_is_rustls_with_standard_roots_and_no_openssl():
    cargo = shutil.which("cargo")
    assert cargo
    tree = subprocess.run(
        [cargo, "tree", "-p", "connectpsp-python", "-e", "normal", "--prefix", "none", "--format", "{p}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    crates = {line.split(" ")[0] for line in tree.splitlines() if line.strip()}
    assert "rustls" in crates
    assert crates & {"webpki-roots", "rustls-platform-verifier"}, "no standard root store"
    assert not crates & {"native-tls", "openssl", "openssl-sys"}


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirected_token_exchange_does_not_carry_the_secret_elsewhere(status):
    # 307/308 would make a following client re-POST the body (the client secret) to the target.
    with serve(lambda h: answer(h, 200, json.dumps(TOKEN).encode())) as (target_url, target):
        with serve(lambda h: answer(h, status, b"", {"Location": target_url + h.path})) as (url, origin):
            client = connectpsp.Client(**CREDS, base_url=url, max_retries=0, timeout=2.0)
            with pytest.raises(connectpsp.ConnectPSPError) as caught:
                client.account.balance()
    assert caught.value.status == status
    assert origin.hits == ["POST /auth/token"]
    assert target.hits == []
