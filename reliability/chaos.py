"""Chaos payouts: N cash-outs through each package while the sandbox breaks 30 % of them.

For each package (Python asyncio, Python sync with threads, JS) this script starts a fresh
sandbox with tokens that expire every few seconds, injects faults on 30 % of POST /cash-out
(see CASH_OUT_FAULTS: drops before and after commit, the token expiring between a dropped
attempt and its retry, the 5xx family refused before commit and answered after it, 429 with
Retry-After, latency beyond the client's per-attempt timeout, truncated bodies, connections
closed after the headers, slow bodies) and on 30 % of POST /auth/token (AUTH_FAULTS: 503, other
5xx, drops, latency), runs that package's runner (chaos_runner.py / chaos_runner.mjs) and then
judges the result from the sandbox alone:

- exactly one cash-out per externalReference, none missing, none foreign;
- each with the planned amount, and the transactional balance moved by exactly their sum;
- every runner call ended in success or in an error the runner resolved with
  ``client.resubmit(error)``, and the transaction the SDK reported is the one the sandbox holds;
- no call ended "definitively failed" (an error with outcome_unknown false) while the sandbox
  held its payout: the runner looks each such error up in the sandbox at once
  (definitivelyFailedButApplied, must be 0). Re-submissions count too, even when each of their
  own requests was refused before commit: the payout an earlier call made exists, so only
  "outcome unknown" is true (those unknowns are resubmitUnknowns, fine).

The sandbox answers commit-then-drop by doing the work and closing the connection; a client
that re-sent with a new key would pay twice, and a client that gave up would lose the payout.

The sandbox applies only the first fault rule matching a request, so one rule at a time is
active per path and the kind rotates every ROTATE_SECONDS; every request records the fault that
touched it, and the figures below are counted from that request log.

usage: python chaos.py [--n 20000] [--packages py-async,py-threads,js] [--report FILE]
Exit status 0 only when every package has zero duplicates, zero lost and zero unresolved.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from chaos_plan import centavos_for, reference_for  # noqa: E402
from sandbox_process import SandboxProcess  # noqa: E402

FAULT_PERCENT = 30.0
ROTATE_SECONDS = 0.5
CLIENT_TIMEOUT_S = 1.0
TOKEN_TTL_S = 4
SLOW_MS = int(CLIENT_TIMEOUT_S * 1000) + 500
#: The 5xx family: the API's own 503 refusal aside, none of these proves that nothing happened
#: (a CDN's 524 means the origin got the request), so each appears refused before commit and
#: answered after it.
STATUS_FAMILY = (500, 502, 504, 507, 520, 521, 522, 523, 524)
# The latency and slow-body faults must outlast the client's per-attempt timeout.
CASH_OUT_FAULTS: list[dict[str, Any]] = [
    {"kind": "commit_then_drop"},
    {"kind": "commit_then_drop", "expireToken": True},
    {"kind": "drop"},
    {"kind": "drop", "expireToken": True},
    {"kind": "status", "status": 502, "commit": True, "expireToken": True},
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 503, "commit": True},
    *({"kind": "status", "status": s} for s in STATUS_FAMILY),
    *({"kind": "status", "status": s, "commit": True} for s in STATUS_FAMILY),
    {"kind": "rate_limit", "retryAfterSeconds": 1},
    {"kind": "latency", "latencyMs": SLOW_MS},
    {"kind": "truncate_body"},
    {"kind": "truncate_body", "commit": False},
    {"kind": "reset_after_headers"},
    {"kind": "reset_after_headers", "commit": False},
    {"kind": "slow_body", "latencyMs": SLOW_MS},
    {"kind": "slow_body", "latencyMs": SLOW_MS, "commit": False},
]
AUTH_FAULTS: list[dict[str, Any]] = [
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 502},
    {"kind": "drop"},
    {"kind": "commit_then_drop"},
    {"kind": "latency", "latencyMs": SLOW_MS},
]
PACKAGES = ("py-async", "py-threads", "js")


def fault_label(spec: dict[str, Any]) -> str:
    """One name per fault variant, for the figures (`status_524_after_commit`, …)."""
    kind = spec["kind"]
    name = f"status_{spec['status']}" if kind == "status" else kind
    default_commit = kind not in ("status", "rate_limit", "drop")
    commit = spec.get("commit", default_commit)
    if kind in ("status", "truncate_body", "reset_after_headers", "slow_body", "drop") and commit != default_commit:
        name += "_after_commit" if commit else "_before_commit"
    if spec.get("expireToken"):
        name += "_expire_token"
    return name


class FaultRotation(threading.Thread):
    """Keeps one 30 % fault rule on POST /cash-out and one on POST /auth/token, switching their
    kinds every ROTATE_SECONDS."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        super().__init__(daemon=True)
        self.sandbox = sandbox
        self.stopping = threading.Event()
        # Injections per variant from the sandbox's own fault counters, read before each rule
        # is replaced (a request delayed by the latency fault and abandoned by the client never
        # reaches the request log, so the log alone would miss those).
        self.injected: Counter[str] = Counter()
        self.injected_auth: Counter[str] = Counter()
        self.labels: dict[int, tuple[str, str]] = {}

    def run(self) -> None:
        k = 0
        while not self.stopping.is_set():
            self._collect_and_clear()
            out = CASH_OUT_FAULTS[k % len(CASH_OUT_FAULTS)]
            auth = AUTH_FAULTS[k % len(AUTH_FAULTS)]
            for path, spec in (("/cash-out", out), ("/auth/token", auth)):
                rule = self.sandbox.add_fault(method="POST", path=path, percent=FAULT_PERCENT, **spec)
                self.labels[rule["id"]] = (path, fault_label(spec))
            k += 1
            self.stopping.wait(ROTATE_SECONDS)
        self._collect_and_clear()

    def _collect_and_clear(self) -> None:
        stats = self.sandbox.control("GET", "/_sandbox/faults")
        for rule in stats["rules"] + stats["finished"]:
            path, label = self.labels.get(rule["id"], (rule.get("path"), rule["kind"]))
            (self.injected_auth if path == "/auth/token" else self.injected)[label] += rule["injected"]
        self.sandbox.clear_faults()

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def runner_command(package: str, n: int, concurrency: int, run_id: str, max_seconds: float) -> list[str]:
    common = ["--n", str(n), "--concurrency", str(concurrency), "--run-id", run_id, "--max-seconds", str(max_seconds)]
    if package == "js":
        return ["node", os.path.join(HERE, "chaos_runner.mjs"), *common]
    mode = "async" if package == "py-async" else "threads"
    return [sys.executable, os.path.join(HERE, "chaos_runner.py"), "--mode", mode, *common]


def transactional_total(balance: dict[str, Any]) -> Decimal:
    return Decimal(str(balance["consolidated"]["transactionalBalance"]))


def run_package(package: str, n: int, max_seconds: float) -> dict[str, Any]:
    run_id = f"{package}-{os.getpid()}"
    concurrency = 32 if package == "py-threads" else 64
    with SandboxProcess(seed=7, settle_delay_ms=20) as sandbox, tempfile.TemporaryDirectory() as tmp:
        sandbox.control("POST", "/_sandbox/balances", {"transactional": "5000000.00", "proprietary": "0.00"})
        sandbox.settings(tokenTtlSeconds=TOKEN_TTL_S)
        before = transactional_total(sandbox.balance())
        seq0 = sandbox.last_request_seq()

        c = sandbox.credentials
        env = dict(
            os.environ,
            CHAOS_BASE_URL=sandbox.base_url,
            CHAOS_CLIENT_ID=c.client_id,
            CHAOS_CLIENT_SECRET=c.client_secret,
            CHAOS_APPLICATION_TOKEN=c.application_token,
            CHAOS_CRYPTO_TOKEN=c.crypto_token,
            CHAOS_TIMEOUT=str(CLIENT_TIMEOUT_S),
            CHAOS_OUT=os.path.join(tmp, "paid.json"),
            CHAOS_DEFINITIVE_OUT=os.path.join(tmp, "definitive.json"),
        )
        rotation = FaultRotation(sandbox)
        rotation.start()
        started = time.monotonic()
        try:
            # The runner bounds itself; the extra minute only catches a hung process.
            proc = subprocess.run(
                runner_command(package, n, concurrency, run_id, max_seconds),
                env=env,
                capture_output=True,
                text=True,
                timeout=max_seconds + 60,
            )
        finally:
            rotation.stop()
        elapsed = time.monotonic() - started
        if proc.returncode != 0:
            raise SystemExit(f"{package}: runner failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        client = json.loads(proc.stdout.strip().splitlines()[-1])
        # The runner's window of the request log (the checks below make requests of their own).
        seq_end = sandbox.last_request_seq()
        window = [r for r in sandbox.requests(seq0) if r["seq"] <= seq_end]
        with open(env["CHAOS_OUT"]) as f:
            reported: dict[str, str] = json.load(f)
        with open(env["CHAOS_DEFINITIVE_OUT"]) as f:
            definitive: dict[str, Any] = json.load(f)

        # Let every payout settle so the balance is final, then judge from the sandbox alone.
        sandbox.wait_until(
            lambda: not any(t["status"] == "PROCESSING" for t in sandbox.transactions() if t["kind"] == "cash_out"),
            timeout=60,
            what="every cash-out to settle",
        )
        after = transactional_total(sandbox.balance())
        verdict = judge(sandbox, run_id, n, reported, before, after)
        requests = [r for r in window if r["path"] == "/cash-out" and r["method"] == "POST"]
        tokens = [r for r in window if r["path"] == "/auth/token"]

    # Per variant from the sandbox's own counters (they see the latency-delayed attempts the
    # client abandoned, which never reach the request log); the log checks the total.
    logged = Counter(r["fault"] for r in requests if r["fault"])
    faults = Counter(rotation.injected)
    auth_faults = Counter(rotation.injected_auth)
    counts = client["counts"]
    calls = n + counts.get("resubmits", 0)
    return {
        "package": package,
        "payouts": n,
        "seconds": round(elapsed, 1),
        # The request log, plus the latency-delayed attempts the client abandoned (never logged).
        "requestsSent": len(requests) + max(0, faults["latency"] - logged["latency"]),
        "tokenRequests": len(tokens),
        "faultsInjected": sum(faults.values()),
        "faultsByKind": dict(sorted(faults.items())),
        "faultsLogged": sum(logged.values()),
        "authFaultsInjected": sum(auth_faults.values()),
        "authFaultsByKind": dict(sorted(auth_faults.items())),
        # Calls that said "definitively failed" while the sandbox held their payout, whoever
        # made it: first calls and re-submissions alike.
        "definitivelyFailedButApplied": len(definitive["applied"]),
        "definitivelyFailedButAppliedByClass": dict(Counter(e["errorClass"] for e in definitive["applied"])),
        "definitivelyFailedButAppliedExamples": definitive["applied"][:10],
        # Of those, re-submissions (and of these, the ones whose own requests were all refused
        # before commit, by the request log: the payout was an earlier call's).
        "definitivelyFailedButAppliedResubmits": sum(1 for e in definitive["applied"] if e["resubmission"]),
        "definitivelyFailedButAppliedRefusedResubmits": sum(
            1 for e in definitive["applied"] if e["resubmission"] and not e["ownRequestsHandled"]
        ),
        "definitiveChecked": definitive["checked"],
        # Re-submissions that ended outcome unknown: the true answer while the payout may exist.
        "resubmitUnknowns": counts.get("resubmit_unknowns", 0),
        # The SDK's own retries: HTTP attempts beyond one per call (a call = a create or a resubmit).
        "retries": counts.get("attempts", 0) - calls,
        "sdkAttempts": counts.get("attempts", 0),
        "unknowns": counts.get("unknowns", 0),
        "transientErrors": counts.get("errors", 0) - counts.get("unknowns", 0),
        "resubmits": counts.get("resubmits", 0),
        "resolvedByResubmit": counts.get("resolved_by_resubmit", 0),
        "unexpectedErrors": counts.get("unexpected_errors", 0),
        "errorClasses": client["errorClasses"],
        "unresolved": client["unresolvedCount"],
        **verdict,
    }


def judge(
    sandbox: SandboxProcess, run_id: str, n: int, reported: dict[str, str], before: Decimal, after: Decimal
) -> dict[str, Any]:
    expected = {reference_for(run_id, i): centavos_for(i) for i in range(n)}
    outs = [t for t in sandbox.transactions() if t["kind"] == "cash_out"]
    per_reference = Counter(t["externalReference"] for t in outs)
    duplicates = sum(count - 1 for ref, count in per_reference.items() if count > 1)
    lost = [ref for ref in expected if ref not in per_reference]
    foreign = [ref for ref in per_reference if ref not in expected]
    wrong_amount = [
        t["externalReference"]
        for t in outs
        if t["externalReference"] in expected
        and int(Decimal(t["amount"]) * 100) != expected[t["externalReference"]]
    ]
    not_completed = [t["externalReference"] for t in outs if t["status"] != "COMPLETED"]
    # The SDK's answer for each reference must name the one transaction the sandbox holds.
    by_reference = {t["externalReference"]: t["transactionId"] for t in outs}
    mismatched = [ref for ref, tx in reported.items() if by_reference.get(ref) != tx]
    unreported = [ref for ref in expected if ref not in reported]
    paid_centavos = sum(int(Decimal(t["amount"]) * 100) for t in outs)
    moved_centavos = int((before - after) * 100)
    return {
        "duplicates": duplicates,
        "lost": len(lost),
        "foreign": len(foreign),
        "wrongAmount": len(wrong_amount),
        "notCompleted": len(not_completed),
        "sdkAnswerMismatch": len(mismatched),
        "sdkUnreported": len(unreported),
        "balanceMovedCentavos": moved_centavos,
        "plannedCentavos": sum(expected.values()),
        "paidCentavos": paid_centavos,
        "balanceExact": moved_centavos == paid_centavos == sum(expected.values()),
        "examples": {"lost": lost[:5], "mismatched": mismatched[:5], "wrongAmount": wrong_amount[:5]},
    }


def passed(result: dict[str, Any]) -> bool:
    zero = ("duplicates", "lost", "foreign", "wrongAmount", "notCompleted", "sdkAnswerMismatch",
            "sdkUnreported", "unresolved", "unexpectedErrors", "definitivelyFailedButApplied")
    return all(result[k] == 0 for k in zero) and bool(result["balanceExact"])


def line(result: dict[str, Any]) -> str:
    return (
        f"chaos {result['package']:<10} {result['payouts']} payouts in {result['seconds']} s: "
        f"requests {result['requestsSent']}, faults {result['faultsInjected']} "
        f"in {len(result['faultsByKind'])} variants, "
        f"token-endpoint faults {result['authFaultsInjected']}, "
        f"retries {result['retries']}, unknowns {result['unknowns']}, resubmits {result['resubmits']}, "
        f"duplicates {result['duplicates']}, lost {result['lost']}, "
        f"definitively-failed-but-applied {result['definitivelyFailedButApplied']}, "
        f"token refreshes {result['tokenRequests']}, "
        f"balance {'exact' if result['balanceExact'] else 'WRONG'} "
        f"({Decimal(result['balanceMovedCentavos']) / 100:.2f} moved) "
        f"-> {'OK' if passed(result) else 'FAIL'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=int(os.environ.get("CHAOS_N", "20000")))
    parser.add_argument("--packages", default=",".join(PACKAGES))
    parser.add_argument("--max-seconds", type=float, default=None, help="per package (default: scales with n)")
    parser.add_argument("--report", help="write every figure as JSON here")
    args = parser.parse_args()
    # Generous: the slow faults (1.5 s against a 1 s timeout) set the pace, the run bounds itself.
    max_seconds = args.max_seconds or max(120.0, args.n * 0.15)

    results = []
    for package in args.packages.split(","):
        result = run_package(package, args.n, max_seconds)
        print(line(result), flush=True)
        if not passed(result):
            print(json.dumps(result, indent=2), file=sys.stderr)
        elif os.environ.get("CHAOS_VERBOSE"):
            print(json.dumps(result, indent=2))
        results.append(result)
    if args.report:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, "w") as f:
            json.dump({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": results}, f, indent=2)
    return 0 if all(passed(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
