"""Process-level behaviour: fork (pre-fork servers), interpreter exit after async calls,
Ctrl-C during a blocking call, cancelling an asyncio task."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import PAYER, RequestWindow, reference

import connectpsp
from connectpsp import _native
from connectpsp.testing import Sandbox


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_can_make_calls(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        client.account.balance()  # the runtime, the pool and the token now exist in the parent
        ref = reference("fork")
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                charge = client.cash_in.create(amount="1.00", external_reference=ref, payer=PAYER)
                code = 0 if charge.external_reference == ref else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        # and the parent still works
        assert client.account.balance().currency == "BRL"
    assert any(t["externalReference"] == ref for t in sandbox.transactions())


EXIT_SCRIPT = """
import asyncio, json, os, sys
import connectpsp
options = json.loads(os.environ["CONNECTPSP_TEST_OPTIONS"])
async def main():
    client = connectpsp.AsyncClient(**options)
    balance = await client.account.balance()
    assert balance.currency == "BRL"
asyncio.run(main())
"""


def test_no_crash_at_exit_after_async_calls(sandbox: Sandbox) -> None:
    options = {**sandbox.credentials.as_kwargs(), "base_url": sandbox.base_url}
    env = {**os.environ, "CONNECTPSP_TEST_OPTIONS": json.dumps(options)}
    runs = 50
    failures = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], env=env, capture_output=True, timeout=60)
        if done.returncode != 0:
            failures.append((done.returncode, done.stderr.decode()[-500:]))
    assert failures == [], f"{len(failures)}/{runs} runs failed: {failures[:3]}"


def test_ctrl_c_interrupts_a_blocking_call(sandbox: Sandbox) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    sandbox.inject_faults(kind="latency", latency_ms=5000, method="GET", path="/account/balance", count=1)
    with sandbox.client(timeout=10.0) as client:
        client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)  # token first
        timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.account.balance()
        assert time.monotonic() - started < 2.0
        # the client is still usable
        assert client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER).amount


async def test_cancelling_a_task_cancels_its_request(sandbox: Sandbox, window: RequestWindow) -> None:
    sandbox.inject_faults(kind="latency", latency_ms=3000, method="GET", path="/account/balance", count=1)
    async with sandbox.async_client(timeout=10.0) as client:
        await client.cash_in.create(amount="1.00", external_reference=reference(), payer=PAYER)
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.account.balance(), timeout=0.3)
        assert time.monotonic() - started < 1.0
        # a later call on the same client works (the aborted one left nothing locked)
        assert (await client.account.balance()).currency == "BRL"


async def test_cancelling_a_token_refresh_does_not_block_others(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="latency", latency_ms=3000, method="POST", path="/auth/token", count=1)
    async with sandbox.async_client(timeout=10.0) as client:
        first = asyncio.create_task(client.account.balance())
        await asyncio.sleep(0.2)  # the first task now holds the token lease
        first.cancel()
        started = time.monotonic()
        balance = await asyncio.wait_for(client.account.balance(), timeout=5)
        assert balance.currency == "BRL"
        assert time.monotonic() - started < 2.5  # not stuck behind the abandoned lease


FORK_DURING_ASYNC_SCRIPT = """
import asyncio, json, os, sys, threading, time
import connectpsp
options = json.loads(os.environ["CONNECTPSP_TEST_OPTIONS"])

# An async call in flight (held 1.5 s by a latency fault) on a loop in another thread while the
# main thread forks: the child inherits the bridge's task table, not the task. (Forking from
# inside a running asyncio loop is unsupported by asyncio itself, so the loop lives elsewhere.)
result = {}
def background():
    async def slow():
        return await connectpsp.AsyncClient(**options).account.balance()
    result["slow"] = asyncio.run(slow()).currency
worker = threading.Thread(target=background)
worker.start()
time.sleep(0.4)
pid = os.fork()
if pid == 0:
    sync = connectpsp.Client(**options)
    assert sync.account.balance().currency == "BRL"
    async def child_call():
        return await connectpsp.AsyncClient(**options).account.balance()
    assert asyncio.run(child_call()).currency == "BRL"
    sys.exit(0)   # a normal exit: atexit (the bridge's drain) runs in the child
started = time.monotonic()
_, status = os.waitpid(pid, 0)
child_total = time.monotonic() - started
worker.join(timeout=20)
print(json.dumps({"status": status, "child_total": child_total, "slow": result.get("slow")}))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_while_an_async_call_is_in_flight(sandbox: Sandbox) -> None:
    sandbox.inject_faults(kind="latency", latency_ms=1500, method="GET", path="/account/balance", count=1)
    options = {**sandbox.credentials.as_kwargs(), "base_url": sandbox.base_url}
    env = {**os.environ, "CONNECTPSP_TEST_OPTIONS": json.dumps(options)}
    done = subprocess.run([sys.executable, "-c", FORK_DURING_ASYNC_SCRIPT], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert result["status"] == 0
    assert result["slow"] == "BRL"  # the parent's call completed despite the child
    # the child neither waited for nor touched the parent's in-flight task at exit
    assert result["child_total"] < 3.0, result


SANDBOX_FORK_SCRIPT = """
import os, sys
from connectpsp.testing import Sandbox
with Sandbox() as sb:
    client = sb.client()
    client.account.balance()
    pid = os.fork()
    if pid == 0:
        assert sb.client().account.balance().currency == "BRL"
        sys.exit(0)   # full finalization in the child: it must not stop the parent's server
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    assert client.account.balance().currency == "BRL"
    assert sb.client().account.balance().currency == "BRL"
print("ok")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_leaves_the_parents_sandbox_running() -> None:
    done = subprocess.run([sys.executable, "-c", SANDBOX_FORK_SCRIPT], capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == b"ok", done.stderr.decode()[-2000:]



FORK_SERVER = r"""
import http.server, json
TOKEN = json.dumps({"accessToken": "a.b.c", "tokenType": "Bearer", "expiresIn": 3600, "issuedAt": "2026-03-10T14:00:00Z"}).encode()
MISSING = json.dumps({"status": 404, "code": "TRANSACTION_NOT_FOUND", "title": "Not Found", "detail": "no"}).encode()
bank = {"ispb": "12345678", "bank": "Banco", "accounts": {"transactional": {"branch": "0001", "account": "1", "balance": 1.00}}}
# About 5 MB the core must read through while it holds the client's session lock.
BIG = json.dumps({"currency": "BRL", "banks": [], "padding": [bank] * 40000,
                  "consolidated": {"totalBalance": 1.00, "transactionalBalance": 1.00, "proprietaryBalance": 0.00}}).encode()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send(200, TOKEN)
    def do_GET(self):
        self.send(404, MISSING) if self.path.startswith("/cash-in/") else self.send(200, BIG)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

FORK_UNDER_LOAD_SCRIPT = """
import json, os, sys, threading, time
import connectpsp
client = connectpsp.Client(client_id="id", client_secret="fork-secret", application_token="app", crypto_token="c",
                           base_url=sys.argv[1], timeout=30)
client.account.balance()
# A thread keeps a runtime thread busy inside the core with the session lock held, so that many
# forks copy that lock locked. A child that used the copy would wait for a thread it lacks.
threading.Thread(target=lambda: [client.account.balance() for _ in iter(int, 1)], daemon=True).start()
hung = 0
for _ in range(int(sys.argv[2])):
    time.sleep(0.05)
    pid = os.fork()
    if pid == 0:
        try:
            client.cash_in.get("missing")
        except connectpsp.NotFoundError:
            os._exit(0)
        except BaseException:
            os._exit(2)
        os._exit(3)
    deadline = time.monotonic() + 8
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert status == 0, status
            break
        if time.monotonic() > deadline:
            hung += 1
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            break
        time.sleep(0.01)
print(json.dumps({"hung": hung}), flush=True)
os._exit(0)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_never_deadlocks_on_a_lock_held_by_a_runtime_thread() -> None:
    server = subprocess.Popen([sys.executable, "-c", FORK_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        done = subprocess.run([sys.executable, "-c", FORK_UNDER_LOAD_SCRIPT, base_url, "12"], capture_output=True, timeout=200)
    finally:
        server.kill()
        server.wait()
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert json.loads(done.stdout.decode().strip().splitlines()[-1]) == {"hung": 0}


# The process id the native state is keyed by is cached (src/runtime.rs): every fork must renew it.
RAW_FORK_SCRIPT = """
import ctypes, os, sys
from connectpsp import _native
assert _native.process_id() == os.getpid()   # the id is cached from here on
libc = ctypes.CDLL(None, use_errno=True)
read, write = os.pipe()
# fork() straight from libc: os.register_at_fork's hooks do not run, libc's atfork handlers do.
pid = libc.fork()
if pid == 0:
    os.write(write, b"%d %d" % (_native.process_id(), os.getpid()))
    os._exit(0)
os.waitpid(pid, 0)
seen, actual = map(int, os.read(read, 64).split())
print(seen == actual and actual == pid and _native.process_id() == os.getpid())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libc fork through ctypes")
def test_the_cached_process_id_is_renewed_by_any_fork() -> None:
    done = subprocess.run([sys.executable, "-c", RAW_FORK_SCRIPT], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().strip() == "True"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_the_cached_process_id_follows_os_fork() -> None:
    assert _native.process_id() == os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.write(write, b"%d %d" % (_native.process_id(), os.getpid()))
        os._exit(0)
    os.waitpid(pid, 0)
    seen, actual = map(int, os.read(read, 64).split())
    os.close(read)
    os.close(write)
    assert seen == actual == pid
