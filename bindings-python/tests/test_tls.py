"""TLS for real: rustls against a local HTTPS server whose certificate comes from a throwaway CA.
Trusted through SSL_CERT_FILE (which the platform verifier honours) the call goes through;
without it the handshake fails, and nothing can have reached the server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

SERVER = r"""
import http.server, json, ssl, sys
TOKEN = {"accessToken": "a.b.c", "tokenType": "Bearer", "expiresIn": 3600, "issuedAt": "2026-03-10T14:00:00Z"}
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer(200, TOKEN)
    def do_GET(self):
        self.answer(404, {"status": 404, "code": "TRANSACTION_NOT_FOUND", "title": "Not Found", "detail": "no such id"})
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

CLIENT = r"""
import json, os, sys
import connectpsp
client = connectpsp.Client(client_id="id", client_secret="tls-secret", application_token="app",
                           crypto_token="crypto", base_url=sys.argv[1], max_retries=0, timeout=5)
try:
    client.cash_in.get("ABC123")
except connectpsp.ConnectPSPError as error:
    print(json.dumps({"class": type(error).__name__, "outcome_unknown": error.outcome_unknown, "status": error.status}))
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "1", "-subj", "/CN=connectpsp test CA", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
             "-subj", "/CN=localhost", cwd=d)
    (d / "leaf.ext").write_text("basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "leaf.pem", "-days", "1", "-extfile", "leaf.ext", cwd=d)
    return d


def _call(port: int, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CLIENT, f"https://127.0.0.1:{port}"], env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    result: dict[str, object] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def test_tls_trusted_and_untrusted(certificates: Path) -> None:
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(certificates / "leaf.pem"), str(certificates / "leaf.key")],
                              stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        base_env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        trusted = _call(port, {**base_env, "SSL_CERT_FILE": str(certificates / "ca.pem")})
        # The TLS exchange worked: the server's 404 problem came back through it.
        assert trusted == {"class": "NotFoundError", "outcome_unknown": False, "status": 404}
        untrusted = _call(port, {**base_env, "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"})
        assert untrusted["class"] == "ConnectionError"
        assert untrusted["outcome_unknown"] is False  # refused at the handshake: nothing was sent
    finally:
        server.kill()
        server.wait()
