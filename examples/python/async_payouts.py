"""1,000 payouts at once with asyncio, safe to re-run after a crash.

    python examples/python/async_payouts.py [--count 1000] [--batch my-batch-id]

Each payout's idempotency key is derived from its external reference
(`connectpsp.idempotency_key_for`), so running the same batch twice - say, after the worker died
halfway - replays the payouts already made instead of paying them again. The script shows it:
it submits the batch, then submits it again and checks that no new payout appeared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

from tqdm import tqdm

import connectpsp

AMOUNT = Decimal("10.00")
# All payouts are started at once; this only bounds the sockets open at the same time, so the
# process stays under the usual 1,024 file descriptors and is polite to the API's rate limits.
MAX_IN_FLIGHT = 100


async def pay_batch(client: connectpsp.AsyncClient, batch: str, count: int, label: str) -> list[Any]:
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    progress = tqdm(total=count, desc=label, unit="payout", file=sys.stdout, mininterval=0.2, ascii=True)

    async def pay(i: int) -> Any:
        reference = f"{batch}-{i:05d}"
        async with gate:
            result = await client.cash_out.create(
                amount=AMOUNT,
                external_reference=reference,
                description=f"Batch {batch}",
                payee={
                    "name": "Maria Silva",
                    "document": "12345678909",
                    "destination": {"type": "PIX", "pix_key_type": "EVP", "pix_key": str(uuid.uuid5(uuid.NAMESPACE_URL, reference))},
                },
                # Deterministic: the same reference always gives the same key.
                idempotency_key=connectpsp.idempotency_key_for(reference),
            )
        progress.update(1)
        return result

    try:
        return await asyncio.gather(*(pay(i) for i in range(count)))
    finally:
        progress.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--batch", default=f"batch-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()

    async with connectpsp.AsyncClient(
        client_id=os.environ["CONNECTPSP_CLIENT_ID"],
        client_secret=os.environ["CONNECTPSP_CLIENT_SECRET"],
        application_token=os.environ["CONNECTPSP_APPLICATION_TOKEN"],
        crypto_token=os.environ["CONNECTPSP_CRYPTO_TOKEN"],
        base_url=os.environ.get("CONNECTPSP_BASE_URL", connectpsp.STAGING),
    ) as client:
        started = time.monotonic()
        first = await pay_batch(client, args.batch, args.count, "paying")
        elapsed = time.monotonic() - started
        total = sum((p.amount for p in first), Decimal("0"))
        print(f"{len(first)} payouts accepted in {elapsed:.2f} s ({len(first) / elapsed:.0f}/s), total R$ {total}")

        # The worker "crashes" and the batch is submitted again: every payout is a replay.
        again = await pay_batch(client, args.batch, args.count, "re-submitting")
        new = {p.transaction_id for p in again} - {p.transaction_id for p in first}
        print(f"re-submitted the batch: {len(again)} replies, {len(new)} new payouts")
        if new or total != AMOUNT * args.count:
            print("ERROR: a re-submitted payout created a new transaction or the total is off")
            return 1
    print(f"batch {args.batch}: {args.count} payouts, R$ {total}, each paid exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
