"""Crash-safe re-submission: a batch job SIGKILLed halfway and started again from scratch pays
every payout exactly once, because its idempotency keys are derived from the references."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 200


def job_env(sandbox):
    c = sandbox.credentials
    return dict(
        os.environ,
        CHAOS_BASE_URL=sandbox.base_url,
        CHAOS_CLIENT_ID=c.client_id,
        CHAOS_CLIENT_SECRET=c.client_secret,
        CHAOS_APPLICATION_TOKEN=c.application_token,
        CHAOS_CRYPTO_TOKEN=c.crypto_token,
    )


def start_job(sandbox, progress, *extra):
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, "crash_batch.py"), "--batch", "payroll", "--n", str(N),
         "--progress", str(progress), "--workers", "4", "--pause", "0.01", *extra],
        env=job_env(sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def progress_lines(progress):
    try:
        return [line for line in progress.read_text().splitlines() if line and line != "done"]
    except FileNotFoundError:
        return []


def payroll_outs(sandbox):
    return [t for t in sandbox.transactions() if t["kind"] == "cash_out" and t["externalReference"].startswith("payroll-")]


def test_sigkill_halfway_then_rerun_pays_each_reference_once(sandbox, tmp_path):
    progress = tmp_path / "progress.txt"
    before = Decimal(str(sandbox.balance()["consolidated"]["transactionalBalance"]))

    # Halfway through, the job hangs right after each payout and before recording it: the
    # window where a crash leaves money moved that the job's own books do not show.
    first = start_job(sandbox, progress, "--stall-after", str(N // 2))
    try:
        # Kill once every worker (4) hangs on a payout it made but did not record.
        deadline = time.monotonic() + 60
        while len(payroll_outs(sandbox)) < len(progress_lines(progress)) + 4 or len(progress_lines(progress)) < N // 2:
            assert first.poll() is None, f"the job ended before it could be killed: {first.stderr.read()!r}"
            assert time.monotonic() < deadline, "the job made no progress"
            time.sleep(0.02)
    finally:
        first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=10) == -signal.SIGKILL

    # Really halfway, and really inside the window: payouts made that the progress file lacks
    # (what a restart driven by the progress file with fresh keys would pay twice).
    made_before_restart = {t["externalReference"] for t in payroll_outs(sandbox)}
    recorded = len(progress_lines(progress))
    assert N // 2 <= recorded < len(made_before_restart) < N, (recorded, len(made_before_restart))

    second = start_job(sandbox, progress)
    assert second.wait(timeout=120) == 0, second.stderr.read()

    outs = payroll_outs(sandbox)
    per_reference = Counter(t["externalReference"] for t in outs)
    assert sorted(per_reference) == sorted(f"payroll-{i}" for i in range(N)), "a payout is missing"
    assert max(per_reference.values()) == 1, [r for r, k in per_reference.items() if k > 1]
    # The re-run's answers for the payouts made before the crash are the original transactions.
    by_reference = {t["externalReference"]: t["transactionId"] for t in outs}
    rerun = progress_lines(progress)[recorded:]
    assert len(rerun) == N
    for line in rerun:
        index, transaction_id = line.split()
        assert by_reference[f"payroll-{index}"] == transaction_id
    # And the money moved exactly once per payout.
    expected = sum(Decimal(100 + i) / 100 for i in range(N))
    sandbox.wait_until(
        lambda: all(t["status"] != "PROCESSING" for t in payroll_outs(sandbox)), 30, "the payouts to settle"
    )
    after = Decimal(str(sandbox.balance()["consolidated"]["transactionalBalance"]))
    assert before - after == expected
    replays = [r for r in sandbox.requests() if r["path"] == "/cash-out" and r["status"] == 202]
    assert len(replays) >= N + len(made_before_restart)
