"""One package's side of the chaos run: N cash-outs through the Python SDK, asyncio or threads.

Started by chaos.py, which owns the sandbox, the faults and the assertions. This script only
does what a careful user would: send each payout once, and when a call ends in an error,
hand that error to ``client.resubmit(error)`` (same call, same idempotency key) until it
resolves. It never invents a new key. It prints one JSON summary line and writes the
reference -> transactionId map it obtained, which chaos.py checks against the sandbox.

Every error that says the call definitively failed (``outcome_unknown`` false) is checked at
once against the sandbox (its transactions, looked up by the payout's externalReference): if the
sandbox holds the payout, the SDK told its caller something false, the worst bug a payment SDK
can have. That holds for a re-submission too, even when the sandbox's request log shows every
request of the re-submission refused before commit: the payout an earlier call made exists, so
the only true answer is "outcome unknown" (which is fine, and counted as resubmit_unknowns).
The findings go to CHAOS_DEFINITIVE_OUT, each saying whether it was a re-submission and whether
one of its own requests reached the handler.

Environment: CHAOS_BASE_URL, CHAOS_CLIENT_ID, CHAOS_CLIENT_SECRET, CHAOS_APPLICATION_TOKEN,
CHAOS_CRYPTO_TOKEN (the sandbox's), CHAOS_OUT (where to write the reference map),
CHAOS_DEFINITIVE_OUT (where to write the definitive-but-applied findings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

import connectpsp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chaos_plan import PAYEE, amount_for, reference_for  # noqa: E402

# One payout may need several re-submissions in a row when faults keep hitting it; past this,
# it counts as unresolved (a failure of the run), never as silently dropped.
MAX_RESUBMITS = 25

#: Error classes a call may end in under chaos without anything being wrong by itself.
TRANSIENT = (
    connectpsp.RateLimitError,
    connectpsp.ServerError,
    connectpsp.ConnectionError,
    connectpsp.TimeoutError,
    connectpsp.DecodeError,
    # A token that a fault expired, twice in a row: a refusal (401), nothing done.
    connectpsp.AuthenticationError,
)


def _control(path_and_query: str) -> Any:
    with urllib.request.urlopen(os.environ["CHAOS_BASE_URL"] + path_and_query, timeout=30) as response:
        return json.loads(response.read())


def sandbox_holds(reference: str) -> bool:
    """Whether the sandbox holds a transaction with this externalReference (control API). The
    run gives each payout its own reference and never a second key, so this is the payout the
    error's idempotency key made, whether or not the error carries the key."""
    query = urllib.parse.urlencode({"externalReference": reference})
    return bool(_control(f"/_sandbox/transactions?{query}")["transactions"])


def last_seq() -> int:
    return int(_control("/_sandbox/requests?since=18446744073709551615")["lastSeq"])


def handled_since(seq: int, key: Optional[str]) -> bool:
    """Whether a request with `key` after `seq` was carried out by the API handler (a 2xx from
    it: the payout was made, or its stored answer replayed, whatever the fault then sent), by
    the sandbox's request log. A handler's 4xx did nothing."""
    if not key:
        return True  # cannot tell: count it against the SDK
    query = urllib.parse.urlencode({"since": seq, "idempotencyKey": key})
    rows = _control(f"/_sandbox/requests?{query}")["requests"]
    return any(200 <= (r["handlerStatus"] or 0) < 300 for r in rows)


def judge_definitive(error: connectpsp.ConnectPSPError, reference: str, since: Optional[int]) -> Optional[bool]:
    """For an error with outcome_unknown false: None when the sandbox does not hold the payout
    (the error told the truth); otherwise the SDK said "failed" about a payout that exists, and
    the answer says whether one of this call's own requests reached the handler (False: a
    re-submission whose every request was refused before commit, of a payout an earlier call
    made; still a false "failed"). `since` is the request-log seq at the start of a
    re-submission (None for the first call, which nothing preceded)."""
    if not sandbox_holds(reference):
        return None
    return since is None or handled_since(since, error.idempotency_key)


class Tally:
    """Counters shared by every worker (a lock: the threads mode really is concurrent)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.error_classes: Counter[str] = Counter()
        self.paid: dict[str, str] = {}
        self.unresolved: list[str] = []
        self.definitive_applied: list[dict[str, Any]] = []

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def error(self, error: connectpsp.ConnectPSPError, resubmission: bool) -> None:
        with self.lock:
            self.counts["errors"] += 1
            self.counts["attempts"] += error.attempts
            self.error_classes[type(error).__name__ + (" (outcome unknown)" if error.outcome_unknown else "")] += 1
            if error.outcome_unknown:
                self.counts["unknowns"] += 1
                if resubmission:
                    self.counts["resubmit_unknowns"] += 1
            elif not isinstance(error, TRANSIENT):
                # Anything but a transient failure is a bug in the SDK or the sandbox.
                self.counts["unexpected_errors"] += 1

    def judge(
        self, error: connectpsp.ConnectPSPError, reference: str, verdict: Optional[bool], resubmission: bool
    ) -> None:
        """Records the verdict of `judge_definitive` on a definitive error."""
        finding = {
            "resubmission": resubmission,
            "ownRequestsHandled": verdict,
            "reference": reference,
            "errorClass": type(error).__name__,
            "status": getattr(error, "status", None),
            "code": getattr(error, "code", None),
            "attempts": error.attempts,
        }
        with self.lock:
            self.counts["definitive_checked"] += 1
            if verdict is not None:
                self.definitive_applied.append(finding)

    def success(self, reference: str, result: Any, resubmitted: bool) -> None:
        with self.lock:
            self.counts["attempts"] += result.attempts
            self.counts["resolved_by_resubmit" if resubmitted else "ok_first_call"] += 1
            self.paid[reference] = result.transaction_id

    def summary(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "errorClasses": dict(self.error_classes),
            "unresolved": self.unresolved[:20],
            "unresolvedCount": len(self.unresolved),
        }

    def definitive(self) -> dict[str, Any]:
        return {
            "applied": self.definitive_applied,
            "checked": self.counts["definitive_checked"],
        }


def client_options() -> dict[str, Any]:
    return {
        "client_id": os.environ["CHAOS_CLIENT_ID"],
        "client_secret": os.environ["CHAOS_CLIENT_SECRET"],
        "application_token": os.environ["CHAOS_APPLICATION_TOKEN"],
        "crypto_token": os.environ["CHAOS_CRYPTO_TOKEN"],
        "base_url": os.environ["CHAOS_BASE_URL"],
        # Short attempts so the sandbox's latency fault (longer than this) becomes a timeout.
        "timeout": float(os.environ.get("CHAOS_TIMEOUT", "1.0")),
        "max_retries": int(os.environ.get("CHAOS_MAX_RETRIES", "2")),
    }


def payout_params(run_id: str, i: int) -> dict[str, Any]:
    return {
        "amount": amount_for(i),
        "external_reference": reference_for(run_id, i),
        "payee": PAYEE,
    }


def pay_sync(client: connectpsp.Client, tally: Tally, run_id: str, i: int, stop_at: float) -> None:
    params = payout_params(run_id, i)
    reference = params["external_reference"]
    try:
        tally.success(reference, client.cash_out.create(**params), False)
        return
    except connectpsp.ConnectPSPError as error:
        tally.error(error, False)
        if not error.outcome_unknown:
            tally.judge(error, reference, judge_definitive(error, reference, None), False)
        last = error
    for _ in range(MAX_RESUBMITS):
        if time.monotonic() > stop_at:
            break
        since = last_seq()
        tally.add("resubmits")
        try:
            tally.success(reference, client.resubmit(last), True)
            return
        except connectpsp.ConnectPSPError as error:
            tally.error(error, True)
            if not error.outcome_unknown:
                tally.judge(error, reference, judge_definitive(error, reference, since), True)
            last = error
    with tally.lock:
        tally.unresolved.append(reference)


async def pay_async(
    client: connectpsp.AsyncClient, tally: Tally, run_id: str, i: int, stop_at: float
) -> None:
    params = payout_params(run_id, i)
    reference = params["external_reference"]
    try:
        tally.success(reference, await client.cash_out.create(**params), False)
        return
    except connectpsp.ConnectPSPError as error:
        tally.error(error, False)
        if not error.outcome_unknown:
            tally.judge(error, reference, await asyncio.to_thread(judge_definitive, error, reference, None), False)
        last = error
    for _ in range(MAX_RESUBMITS):
        if time.monotonic() > stop_at:
            break
        since = await asyncio.to_thread(last_seq)
        tally.add("resubmits")
        try:
            tally.success(reference, await client.resubmit(last), True)
            return
        except connectpsp.ConnectPSPError as error:
            tally.error(error, True)
            if not error.outcome_unknown:
                tally.judge(error, reference, await asyncio.to_thread(judge_definitive, error, reference, since), True)
            last = error
    tally.unresolved.append(reference)


def run_threads(n: int, concurrency: int, run_id: str, stop_at: float, tally: Tally) -> None:
    client = connectpsp.Client(**client_options())
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(pay_sync, client, tally, run_id, i, stop_at) for i in range(n)]:
            future.result()
    client.close()


async def run_async(n: int, concurrency: int, run_id: str, stop_at: float, tally: Tally) -> None:
    async with connectpsp.AsyncClient(**client_options()) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                await pay_async(client, tally, run_id, queue.get_nowait(), stop_at)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("async", "threads"), required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()

    tally = Tally()
    started = time.monotonic()
    stop_at = started + args.max_seconds
    if args.mode == "threads":
        run_threads(args.n, args.concurrency, args.run_id, stop_at, tally)
    else:
        asyncio.run(run_async(args.n, args.concurrency, args.run_id, stop_at, tally))
    summary = tally.summary()
    summary["seconds"] = round(time.monotonic() - started, 1)
    with open(os.environ["CHAOS_OUT"], "w") as out:
        json.dump(tally.paid, out)
    with open(os.environ["CHAOS_DEFINITIVE_OUT"], "w") as out:
        json.dump(tally.definitive(), out)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
