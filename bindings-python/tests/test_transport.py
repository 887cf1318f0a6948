"""Transport rules, against small local servers: redirects are never followed, bodies are
capped at 10 MB, and a plain HTTP client can't be talked into another host."""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any, Callable, Iterator

import pytest

import connectpsp
from connectpsp.testing import Sandbox

TOKEN = {"accessToken": "header.payload.sig", "tokenType": "Bearer", "expiresIn": 3600, "issuedAt": "2026-03-10T14:00:00Z"}
CREDENTIALS: dict[str, Any] = {
    "client_id": "id",
    "client_secret": "transport-test-secret",
    "application_token": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "crypto_token": "transport-test-crypto",
}


class Server:
    """A loopback HTTP server whose GET/POST handler is a function of the path."""

    def __init__(self, handle: Callable[[http.server.BaseHTTPRequestHandler], None]) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                hits.append(f"GET {self.path}")
                handle(self)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                hits.append(f"POST {self.path}")
                handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def reply(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    server = Server(lambda h: reply(h, 200, json.dumps(TOKEN).encode(), {"Content-Type": "application/json"}))
    yield server
    server.close()


def test_redirects_are_not_followed(elsewhere: Server) -> None:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        reply(h, 307, b"", {"Location": f"{elsewhere.url}{h.path}"})

    api = Server(handle)
    try:
        with connectpsp.Client(**CREDENTIALS, base_url=api.url, max_retries=0) as client:
            with pytest.raises(connectpsp.ConnectPSPError) as caught:
                client.account.balance()
        assert caught.value.status == 307
        assert elsewhere.hits == []  # the secret never went to the redirect target
        assert api.hits == ["POST /auth/token"]
    finally:
        api.close()


def _token_then(body_writer: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path == "/auth/token":
            reply(h, 200, json.dumps(TOKEN).encode(), {"Content-Type": "application/json"})
        else:
            body_writer(h)

    return handle


def test_declared_oversized_body_is_refused() -> None:
    def huge(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(11 * 1024 * 1024))
        h.end_headers()
        try:
            h.wfile.write(b" " * (1024 * 1024))
        except OSError:
            pass

    api = Server(_token_then(huge))
    try:
        with connectpsp.Client(**CREDENTIALS, base_url=api.url, max_retries=0) as client:
            with pytest.raises(connectpsp.ConnectionError) as caught:
                client.account.balance()
        assert caught.value.attempts == 1 and caught.value.status is None
    finally:
        api.close()


def test_streamed_oversized_body_is_refused() -> None:
    def endless(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b" " * 65536
        try:
            for _ in range(200):  # 12.5 MB, bounded
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    api = Server(_token_then(endless))
    try:
        with connectpsp.Client(**CREDENTIALS, base_url=api.url, max_retries=0) as client:
            with pytest.raises(connectpsp.ConnectionError):
                client.account.balance()
    finally:
        api.close()


def test_a_garbled_answer_is_a_decode_error() -> None:
    api = Server(_token_then(lambda h: reply(h, 200, b"<html>not json</html>", {"Content-Type": "text/html"})))
    try:
        with connectpsp.Client(**CREDENTIALS, base_url=api.url, max_retries=0) as client:
            with pytest.raises(connectpsp.DecodeError) as caught:
                client.account.balance()
        assert "transport-test-secret" not in str(caught.value)
    finally:
        api.close()


def test_headers_sent(elsewhere: Server) -> None:
    seen: list[dict[str, str]] = []

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        seen.append({k.lower(): v for k, v in h.headers.items()})
        if h.path == "/auth/token":
            reply(h, 200, json.dumps(TOKEN).encode(), {"Content-Type": "application/json"})
        else:
            reply(h, 422, json.dumps({"status": 422, "code": "INSUFFICIENT_FUNDS", "title": "Insufficient Funds", "detail": "no"}).encode(), {"Content-Type": "application/problem+json"})

    api = Server(handle)
    try:
        with connectpsp.Client(**CREDENTIALS, base_url=api.url, max_retries=0) as client:
            with pytest.raises(connectpsp.InsufficientFundsError):
                client.account.rebalance(target_amount=10)
        api_call = seen[-1]
        assert api_call["authorization"] == "Bearer header.payload.sig"
        assert len(api_call["digitalsignature"]) == 64
        assert api_call["user-agent"].startswith(f"connectpsp-python/{connectpsp.__version__}")
        assert api_call["applicationtoken"] == CREDENTIALS["application_token"]
    finally:
        api.close()


PROXIED_CLIENT = r"""
import json, os, sys
import connectpsp
from connectpsp.testing import Sandbox
options = json.loads(os.environ["CONNECTPSP_TEST_OPTIONS"])
client = connectpsp.Client(**options, max_retries=0, timeout=5)
print(client.account.balance().currency)
"""


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_never_proxied(host: str, sandbox: Sandbox) -> None:
    """HTTP(S)_PROXY set in the environment: a plain-http loopback base URL would hand the client
    secret and the bearer token to the proxy in clear."""
    import os
    import socket
    import subprocess
    import sys

    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(8)
    proxy.settimeout(0.2)
    proxy_url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    accepted: list[str] = []

    def accept() -> None:
        while True:
            try:
                conn, peer = proxy.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            accepted.append(f"connection from {peer}")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    base_url = sandbox.base_url.replace("127.0.0.1", host)
    options = {**sandbox.credentials.as_kwargs(), "base_url": base_url}
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy",)}
    env.update({name: proxy_url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")})
    env["CONNECTPSP_TEST_OPTIONS"] = json.dumps(options)
    try:
        done = subprocess.run([sys.executable, "-c", PROXIED_CLIENT], env=env, capture_output=True, timeout=60)
    finally:
        proxy.close()
        thread.join(timeout=2)
    assert accepted == []
    assert done.returncode == 0 and done.stdout.strip() == b"BRL", done.stderr.decode()[-1500:]
