"""Network options for real: ``proxy=``, ``ca_bundle=`` and ``trust_env=``.

The lab, on one asyncio loop in a thread:

- a TLS front for the sandbox, with a certificate for ``sandbox.test`` (and ``localhost``,
  ``127.0.0.1``) from a throwaway CA (trustme), passing the decrypted bytes to the sandbox;
- an HTTP proxy speaking CONNECT, which resolves ``sandbox.test`` to that front and logs each
  tunnel it was asked for (target and ``Proxy-Authorization``); optionally it demands Basic
  credentials (407 otherwise), or serves TLS itself (an ``https://`` proxy URL).

``sandbox.test`` resolves nowhere else (``.test`` is reserved), so a call that succeeds against
``https://sandbox.test`` went through the proxy, and a certificate that verifies was checked
against ``ca_bundle``. A loopback base URL is never proxied, which the sandbox's own URL shows.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

import connectpsp
from connectpsp.models import CashOut
from connectpsp.testing import Sandbox

from conftest import PAYEE, RequestWindow, reference

trustme = pytest.importorskip("trustme")

HOST = "sandbox.test"
BASE_URL = f"https://{HOST}"
USER = "svc-payments"
# Characters that must be percent-encoded in a URL's userinfo: the proxy must get them decoded.
PASSWORD = "pr0xy:p@ss/w0rd"
PROXY_ENV = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "all_proxy", "no_proxy")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, ssl.SSLError, OSError, RuntimeError):
            pass


async def _splice(a: tuple[asyncio.StreamReader, asyncio.StreamWriter], b: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
    await asyncio.gather(_pipe(a[0], b[1]), _pipe(b[0], a[1]))


class Lab:
    """The TLS front and the proxy (plain and TLS), with what they saw."""

    def __init__(self, sandbox_port: int, server_context: ssl.SSLContext) -> None:
        self.sandbox_port = sandbox_port
        self.server_context = server_context
        self.loop = asyncio.new_event_loop()
        # Failed TLS handshakes (the untrusted-CA tests) are expected: not worth a traceback.
        self.loop.set_exception_handler(lambda loop, context: None)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.require_auth: Optional[str] = None
        self.reset()

    def reset(self) -> None:
        #: (target, Proxy-Authorization or None) of every CONNECT, in order.
        self.connects: list[tuple[str, Optional[str]]] = []
        #: Requests the proxy refused with 407.
        self.refused = 0
        #: TLS sessions the front completed (a client that rejects the certificate makes none).
        self.tls_sessions = 0
        self.require_auth = None

    def start(self) -> None:
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        self.front_port, self.proxy_port, self.tls_proxy_port = future.result(timeout=10)

    async def _start(self) -> tuple[int, int, int]:
        self.servers = [
            await asyncio.start_server(self._front, "127.0.0.1", 0, ssl=self.server_context),
            await asyncio.start_server(self._proxy, "127.0.0.1", 0),
            await asyncio.start_server(self._proxy, "127.0.0.1", 0, ssl=self.server_context),
        ]
        ports = [server.sockets[0].getsockname()[1] for server in self.servers]
        return ports[0], ports[1], ports[2]

    def stop(self) -> None:
        async def close() -> None:
            for server in self.servers:
                server.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def proxy_url(self, *, scheme: str = "http", user: Optional[str] = USER, password: str = PASSWORD) -> str:
        port = self.tls_proxy_port if scheme == "https" else self.proxy_port
        userinfo = ""
        if user is not None:
            userinfo = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@"
        return f"{scheme}://{userinfo}127.0.0.1:{port}"

    def targets(self) -> list[str]:
        return [target for target, _ in self.connects]

    async def _front(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.tls_sessions += 1
        upstream = await asyncio.open_connection("127.0.0.1", self.sandbox_port)
        await _splice((reader, writer), upstream)

    async def _proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        auth = headers.get("proxy-authorization")
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        self.connects.append((target, auth))
        if self.require_auth is not None and auth != self.require_auth:
            self.refused += 1
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="lab"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
            )
            await writer.drain()
            writer.close()
            return
        host, _, _port = target.rpartition(":")
        if host != HOST:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        upstream = await asyncio.open_connection("127.0.0.1", self.front_port)
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await _splice((reader, writer), upstream)


@pytest.fixture(scope="module")
def ca() -> Any:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "lab-root.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def other_ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root of another CA: valid PEM, but it signed nothing the lab serves."""
    path = tmp_path_factory.mktemp("ca") / "other-root.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def net_sandbox() -> Iterator[Sandbox]:
    # The Host header is `sandbox.test`: the sandbox refuses names it was not told about.
    with Sandbox(auto_settle=False, seed=13, allowed_hosts=[HOST]) as sb:
        yield sb


@pytest.fixture(scope="module")
def lab_server(ca: Any, net_sandbox: Sandbox) -> Iterator[Lab]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost", "127.0.0.1").configure_cert(context)
    lab = Lab(urllib.parse.urlsplit(net_sandbox.base_url).port or 0, context)
    lab.start()
    yield lab
    lab.stop()


@pytest.fixture
def lab(lab_server: Lab, monkeypatch: pytest.MonkeyPatch) -> Lab:
    """The lab with empty logs, and no proxy or extra root in this process's environment."""
    lab_server.reset()
    for name in PROXY_ENV + ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    return lab_server


@pytest.fixture
def sent(net_sandbox: Sandbox) -> RequestWindow:
    """What reached the sandbox (the API) during the test."""
    return RequestWindow(net_sandbox)


def _options(sb: Sandbox, **options: Any) -> dict[str, Any]:
    return {**sb.credentials.as_kwargs(), "base_url": BASE_URL, "timeout": 5.0, **options}


def _payout(client: connectpsp.Client) -> CashOut:
    return client.cash_out.create(amount="12.34", external_reference=reference("net"), payee=PAYEE)


async def _apayout(client: connectpsp.AsyncClient) -> CashOut:
    return await client.cash_out.create(amount="12.34", external_reference=reference("net"), payee=PAYEE)


# --- through the proxy, trusted by ca_bundle ------------------------------------------------


@pytest.mark.parametrize("proxy_scheme", ["http", "https"])
def test_sync_calls_go_through_the_proxy_and_verify_against_ca_bundle(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path, proxy_scheme: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="connectpsp")
    lab.require_auth = _basic(USER, PASSWORD)
    proxy = lab.proxy_url(scheme=proxy_scheme)
    with connectpsp.Client(**_options(net_sandbox, proxy=proxy, ca_bundle=ca_file)) as client:
        payout = _payout(client)
        assert client.cash_out.get(payout.transaction_id).status == "PROCESSING"
        shown = repr(client)
    # Every tunnel went to the API's host, with the credentials percent-decoded.
    assert lab.targets() and set(lab.targets()) == {f"{HOST}:443"}
    assert {auth for _, auth in lab.connects} == {_basic(USER, PASSWORD)}
    assert lab.tls_sessions == len(lab.connects)
    assert [(r["method"], r["path"]) for r in sent.requests()] == [
        ("POST", "/auth/token"),
        ("POST", "/cash-out"),
        ("GET", f"/cash-out/{payout.transaction_id}"),
    ]
    for secret in (PASSWORD, urllib.parse.quote(PASSWORD, safe="")):
        assert secret not in shown
        assert secret not in caplog.text


async def test_async_calls_go_through_the_proxy_and_verify_against_ca_bundle(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path
) -> None:
    lab.require_auth = _basic(USER, PASSWORD)
    # A str path this time (the sync test passes a pathlib.Path).
    async with connectpsp.AsyncClient(**_options(net_sandbox, proxy=lab.proxy_url(), ca_bundle=str(ca_file))) as client:
        payout = await _apayout(client)
        assert (await client.cash_out.get(payout.transaction_id)).status == "PROCESSING"
    assert lab.targets() and set(lab.targets()) == {f"{HOST}:443"}
    assert sent.count("POST", "/cash-out") == 1


# --- a certificate the client does not trust: refused before anything is sent ----------------


def test_sync_untrusted_certificate_fails_with_nothing_sent(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, other_ca_file: Path
) -> None:
    for ca_bundle in (None, other_ca_file):  # the system's roots; another CA's root
        lab.reset()
        with connectpsp.Client(**_options(net_sandbox, proxy=lab.proxy_url(), ca_bundle=ca_bundle)) as client:
            with pytest.raises(connectpsp.ConnectionError) as raised:
                _payout(client)
        error = raised.value
        # The tunnel was opened, the handshake refused: no byte of the payout (nor of the
        # token request before it) reached the API, so the outcome is known.
        assert lab.connects, "the attempt went through the proxy"
        assert lab.tls_sessions == 0
        assert error.outcome_unknown is False
        assert error.idempotency_key
    assert sent.requests() == []


async def test_async_untrusted_certificate_fails_with_nothing_sent(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow
) -> None:
    async with connectpsp.AsyncClient(**_options(net_sandbox, proxy=lab.proxy_url())) as client:
        with pytest.raises(connectpsp.ConnectionError) as raised:
            await _apayout(client)
    assert lab.connects and lab.tls_sessions == 0
    assert raised.value.outcome_unknown is False
    assert sent.requests() == []


def test_ca_bundle_replaces_the_system_roots(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path, other_ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Like requests' ``verify=path``: the file is the whole trust store. The lab's root is
    made a system root (SSL_CERT_FILE, which the platform verifier reads); it is trusted
    without ca_bundle, and not with a ca_bundle that lacks it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with connectpsp.Client(**_options(net_sandbox, proxy=lab.proxy_url())) as client:
        assert client.account.balance().currency == "BRL"
    with connectpsp.Client(**_options(net_sandbox, proxy=lab.proxy_url(), ca_bundle=other_ca_file)) as client:
        with pytest.raises(connectpsp.ConnectionError) as raised:
            client.account.balance()
    assert raised.value.outcome_unknown is False
    assert sent.count("GET", "/account/balance") == 1


def test_ca_bundle_without_a_proxy(lab: Lab, net_sandbox: Sandbox, ca_file: Path) -> None:
    """https straight to the TLS front (a loopback name: no proxy), trusted by the bundle."""
    options = _options(net_sandbox, base_url=f"https://localhost:{lab.front_port}")
    with connectpsp.Client(**options, ca_bundle=ca_file) as client:
        assert client.account.balance().currency == "BRL"
    with connectpsp.Client(**options) as client:
        with pytest.raises(connectpsp.ConnectionError) as raised:
            client.account.balance()
    assert raised.value.outcome_unknown is False
    assert lab.connects == []


# --- proxy authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("user", [USER, None], ids=["wrong-password", "no-credentials"])
def test_sync_proxy_407_is_a_clear_error_with_nothing_sent(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path, user: Optional[str]
) -> None:
    lab.require_auth = _basic(USER, PASSWORD)
    wrong = "not-the-password-42"
    proxy = lab.proxy_url(user=user, password=wrong)
    with connectpsp.Client(**_options(net_sandbox, proxy=proxy, ca_bundle=ca_file, max_retries=0)) as client:
        with pytest.raises(connectpsp.ConnectionError) as raised:
            _payout(client)
    error = raised.value
    assert error.code == "PROXY_AUTH_REQUIRED"
    assert "407 Proxy Authentication Required" in str(error)
    assert "proxy URL" in str(error)
    assert error.outcome_unknown is False
    assert wrong not in str(error) and wrong not in repr(error)
    assert lab.refused == len(lab.connects) == 1
    assert sent.requests() == []


async def test_async_proxy_407_is_a_clear_error_with_nothing_sent(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path
) -> None:
    lab.require_auth = _basic(USER, PASSWORD)
    proxy = lab.proxy_url(password="wrong")
    async with connectpsp.AsyncClient(**_options(net_sandbox, proxy=proxy, ca_bundle=ca_file)) as client:
        with pytest.raises(connectpsp.ConnectionError) as raised:
            await _apayout(client)
    assert raised.value.code == "PROXY_AUTH_REQUIRED"
    assert raised.value.outcome_unknown is False
    assert lab.refused >= 1
    assert sent.requests() == []


# --- the environment -----------------------------------------------------------------------


def test_environment_proxies_apply_by_default(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", lab.proxy_url())
    with connectpsp.Client(**_options(net_sandbox, ca_bundle=ca_file)) as client:
        assert client.account.balance().currency == "BRL"
    assert lab.targets() and set(lab.targets()) == {f"{HOST}:443"}
    assert {auth for _, auth in lab.connects} == {_basic(USER, PASSWORD)}


@pytest.mark.parametrize("how", ["trust_env=False", "NO_PROXY"])
def test_environment_proxies_can_be_turned_off(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Without the proxy, `sandbox.test` resolves nowhere: the call fails (nothing sent) and
    the proxy saw nothing."""
    monkeypatch.setenv("HTTPS_PROXY", lab.proxy_url())
    options = _options(net_sandbox, ca_bundle=ca_file, max_retries=0)
    if how == "NO_PROXY":
        monkeypatch.setenv("NO_PROXY", f"example.com, .{HOST}")
    else:
        options["trust_env"] = False
    with connectpsp.Client(**options) as client:
        with pytest.raises(connectpsp.ConnectionError) as raised:
            client.account.balance()
    assert raised.value.outcome_unknown is False
    assert lab.connects == []
    assert sent.requests() == []


def test_explicit_proxy_wins_over_the_environment(
    lab: Lab, net_sandbox: Sandbox, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment's proxy does not exist (port 9 on loopback refuses), and NO_PROXY would
    # exempt the host: neither applies when `proxy=` is given.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", HOST)
    with connectpsp.Client(**_options(net_sandbox, proxy=lab.proxy_url(), ca_bundle=ca_file, trust_env=False)) as client:
        assert client.account.balance().currency == "BRL"
    assert lab.targets() == [f"{HOST}:443"]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_loopback_is_never_proxied_even_with_an_explicit_proxy(
    lab: Lab, net_sandbox: Sandbox, sent: RequestWindow, asynchronous: bool
) -> None:
    """The same configuration serves production and a local sandbox: a proxy could not reach
    this machine's loopback, and over plain http it would read the secrets."""
    options: dict[str, Any] = {**net_sandbox.credentials.as_kwargs(), "base_url": net_sandbox.base_url, "proxy": lab.proxy_url()}
    if asynchronous:
        async def call() -> Optional[str]:
            async with connectpsp.AsyncClient(**options) as client:
                return (await client.account.balance()).currency

        assert asyncio.run(call()) == "BRL"
    else:
        with connectpsp.Client(**options) as client:
            assert client.account.balance().currency == "BRL"
    assert lab.connects == []
    assert sent.count("GET", "/account/balance") == 1


# --- bad values: a ValidationError naming the option, at construction --------------------------

SECRET = "hunter2-proxy-secret"

BAD_PROXIES = [
    pytest.param(f"socks5://u:{SECRET}@127.0.0.1:1080", "SOCKS", id="socks5"),
    pytest.param(f"ftp://u:{SECRET}@proxy.internal:21", "scheme", id="ftp"),
    pytest.param("proxy.internal:3128", "scheme", id="no-scheme"),
    pytest.param(f"u:{SECRET}@proxy.internal:3128", "scheme", id="no-scheme-credentials"),
    pytest.param("http://", "not a URL", id="no-host"),
    pytest.param(f"http://u:{SECRET}@proxy.internal:3128/path?q=1", "path", id="path"),
    pytest.param(f"http://u:{SECRET}@[::1:3128", "not a URL", id="bad-ipv6"),
    pytest.param("", "not a URL", id="empty"),
]


@pytest.mark.parametrize("client_class", [connectpsp.Client, connectpsp.AsyncClient])
@pytest.mark.parametrize("proxy, words", BAD_PROXIES)
def test_bad_proxy_is_a_validation_error(
    client_class: type[connectpsp.Client], proxy: str, words: str, net_sandbox: Sandbox, sent: RequestWindow
) -> None:
    with pytest.raises(connectpsp.ValidationError) as raised:
        client_class(**_options(net_sandbox, proxy=proxy))
    error = raised.value
    assert error.field == "proxy"
    assert str(error).startswith("proxy: ")
    assert words in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    # The value is never quoted: neither its secret nor its host.
    assert "proxy.internal" not in str(error)
    assert sent.requests() == []


def _pem(body: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(body) + b"-----END CERTIFICATE-----\n"


BAD_BUNDLES = [
    pytest.param(None, "no such file", id="missing"),
    pytest.param("dir", "directory", id="directory"),
    pytest.param(b"", "no PEM certificate", id="empty"),
    pytest.param(b"just some text, not a certificate\n", "no PEM certificate", id="text"),
    pytest.param(b"\x30\x82\x01\x0a" + bytes(200), "no PEM certificate", id="der"),
    pytest.param(b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n", "no PEM certificate", id="key-only"),
    pytest.param(b"-----BEGIN CERTIFICATE-----\nMIIB\n", "not a valid PEM", id="unterminated"),
    pytest.param(b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n", "not a valid PEM", id="not-base64"),
    pytest.param(_pem(b"not DER at all"), "not a valid X.509", id="not-x509"),
]


@pytest.mark.parametrize("client_class", [connectpsp.Client, connectpsp.AsyncClient])
@pytest.mark.parametrize("content, words", BAD_BUNDLES)
def test_bad_ca_bundle_is_a_validation_error(
    client_class: type[connectpsp.Client], content: Any, words: str, tmp_path: Path,
    net_sandbox: Sandbox, sent: RequestWindow, ca_file: Path,
) -> None:
    path = tmp_path / "bundle.pem"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        # A good root first: one bad certificate spoils the file, it is not skipped.
        path.write_bytes((ca_file.read_bytes() if words == "not a valid X.509" else b"") + content)
    with pytest.raises(connectpsp.ValidationError) as raised:
        client_class(**_options(net_sandbox, ca_bundle=path))
    error = raised.value
    assert error.field == "ca_bundle"
    assert str(error).startswith("ca_bundle: ")
    assert words in str(error), str(error)
    if words == "not a valid X.509":
        assert "certificate 2" in str(error)
    assert sent.requests() == []


@pytest.mark.parametrize(
    "options",
    [{"proxy": 3128}, {"proxy": b"http://proxy:3128"}, {"ca_bundle": 7}, {"trust_env": "no"}],
    ids=["proxy-int", "proxy-bytes", "ca_bundle-int", "trust_env-str"],
)
def test_wrong_types_are_type_errors(options: dict[str, Any], net_sandbox: Sandbox) -> None:
    with pytest.raises(TypeError):
        connectpsp.Client(**_options(net_sandbox, **options))


def test_readme_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's runnable example of this feature, as printed there."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python: proxies and CA bundles", 1)[1].split("\n## ", 1)[0]
    snippet = section.split("```python\n")[2].split("```", 1)[0]
    exec(compile(snippet, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("proxy - proxy: SOCKS proxies are not supported")
    assert printed[1] == "BRL"
