"""A payout batch job written the safe way: each payout's idempotency key is derived from its
business reference (``connectpsp.idempotency_key_for``), so running the whole batch again after
a crash re-submits every payout with the key it had the first time, and the API replays the
ones already made instead of paying them twice.

It appends "<index> <transactionId>" to the progress file after each payout, so a test can
watch it and kill the job halfway. It does not read the progress file on start: a restart
re-submits the whole batch from scratch, the worst case for duplicates.

usage: python crash_batch.py --batch ID --n 200 --progress FILE [--workers 4] [--pause 0.01]
                             [--stall-after K]
Credentials and base URL from CHAOS_* environment variables (as chaos_runner.py).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import connectpsp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--progress", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.01)
    parser.add_argument(
        "--stall-after",
        type=int,
        default=None,
        help="once this many payouts are recorded, hang after each payout and before recording "
        "it (the crash window: paid at the API, not yet in our books) until killed",
    )
    args = parser.parse_args()

    client = connectpsp.Client(
        client_id=os.environ["CHAOS_CLIENT_ID"],
        client_secret=os.environ["CHAOS_CLIENT_SECRET"],
        application_token=os.environ["CHAOS_APPLICATION_TOKEN"],
        crypto_token=os.environ["CHAOS_CRYPTO_TOKEN"],
        base_url=os.environ["CHAOS_BASE_URL"],
        timeout=5.0,
    )
    lock = threading.Lock()
    recorded = [0]
    progress = open(args.progress, "a", buffering=1)

    def pay(i: int) -> None:
        reference = f"{args.batch}-{i}"
        result = client.cash_out.create(
            amount=Decimal(100 + i) / 100,
            external_reference=reference,
            payee={
                "name": "Batch Payee",
                "document": "12345678909",
                "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
            },
            idempotency_key=connectpsp.idempotency_key_for(reference),
        )
        with lock:
            stall = args.stall_after is not None and recorded[0] >= args.stall_after
        if stall:
            time.sleep(3600)
        with lock:
            progress.write(f"{i} {result.transaction_id}\n")
            recorded[0] += 1
        time.sleep(args.pause)

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        for future in [pool.submit(pay, i) for i in range(args.n)]:
            future.result()
    progress.write("done\n")
    progress.close()


if __name__ == "__main__":
    main()
