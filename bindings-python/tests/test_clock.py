"""Deadlines and backoff come from a clock that cannot jump. The client runs in a child process
under libfaketime (Debian's `libfaketime`, installed by `make python-test-tools`), whose wall
clock the test steps forward by a day while the call backs off after a 429; the monotonic clock
stays real. A client on wall-clock time would see its 30 s deadline long past and fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PAYEE, RequestWindow, reference

from connectpsp.testing import Sandbox

FAKETIME = next(
    (p for p in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1") if os.path.exists(p)),
    None,
)

CLIENT = r"""
import json, os, sys, time
import connectpsp
options = json.loads(os.environ["CONNECTPSP_TEST_OPTIONS"])
client = connectpsp.Client(**options, timeout=10, deadline=30, max_retries=2)
client.account.balance()  # the token, before the clock moves
print("ready", flush=True)
sys.stdin.readline()
before = time.time()
try:
    payout = client.cash_out.create(amount="1.00", external_reference=sys.argv[1], payee=json.loads(sys.argv[2]))
    result = {"ok": payout.status.value}
except connectpsp.ConnectPSPError as error:
    result = {"error": type(error).__name__, "message": str(error)}
result["wall_clock_moved_s"] = time.time() - before
print(json.dumps(result), flush=True)
"""


@pytest.mark.skipif(FAKETIME is None, reason="needs Debian's libfaketime (make python-test-tools)")
def test_a_wall_clock_step_during_backoff_changes_nothing(sandbox: Sandbox, window: RequestWindow, tmp_path: Path) -> None:
    assert FAKETIME is not None
    clock = tmp_path / "faketime"
    clock.write_text("+0\n")
    options = {**sandbox.credentials.as_kwargs(), "base_url": sandbox.base_url}
    env = {
        **os.environ,
        "CONNECTPSP_TEST_OPTIONS": json.dumps(options),
        "LD_PRELOAD": FAKETIME,
        "FAKETIME_TIMESTAMP_FILE": str(clock),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    ref = reference("clock")
    child = subprocess.Popen(
        [sys.executable, "-c", CLIENT, ref, json.dumps(PAYEE)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        # The payout is answered 429 with Retry-After: 2; the core backs off for 2 s.
        sandbox.inject_faults(kind="rate_limit", retry_after_seconds=2, method="POST", path="/cash-out", count=1)
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(0.8)
        clock.write_text("+1d\n")  # NTP, a VM resumed, an operator: the wall clock leaps a day
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["wall_clock_moved_s"] > 80_000, result  # the step really happened in the child
    assert result.get("ok") == "PROCESSING", (result, err[-1500:])
    assert window.count("POST", "/cash-out") == 2
