"""One Python benchmark scenario per invocation; prints one JSON object on stdout.

    python scenario.py async   --client sdk|httpx|aiohttp   [--calls 5000 --concurrency 64]
    python scenario.py sync    --client sdk|requests|httpx  [--calls 2000]
    python scenario.py threads --client sdk|requests|httpx  [--calls 2000 --threads 8]
    python scenario.py rss     [--runs 3 --calls 10000 --concurrency 64]   (the SDK's AsyncClient)
    python scenario.py import  [--repeat 21]                                 (fresh interpreters)

The sandbox coordinates come from CONNECTPSP_BASE_URL, CONNECTPSP_CLIENT_ID, …; BENCH_RUN_ID
keeps external references unique across runs. Each client runs in its own process, so no
client's import, pool or garbage is charged to another.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
from typing import Any
from collections.abc import Callable

from common import (
    AMOUNT,
    DESCRIPTION,
    PAYEE_DOCUMENT,
    PAYEE_NAME,
    Measurement,
    Sandbox,
    drive_async,
    drive_sync,
    drive_threads,
    external_reference,
    rss_kib,
)
from peer_protocol import Credentials, pix_payee

PEER_PAYEE = pix_payee(PAYEE_NAME, PAYEE_DOCUMENT)
SDK_PAYEE = {
    "name": PAYEE_NAME,
    "document": PAYEE_DOCUMENT,
    "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": PAYEE_DOCUMENT},
}


def credentials(sandbox: Sandbox) -> Credentials:
    return Credentials(sandbox.client_id, sandbox.client_secret, sandbox.application_token, sandbox.crypto_token)


def sdk_options(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "application_token": sandbox.application_token,
        "crypto_token": sandbox.crypto_token,
        "base_url": sandbox.base_url,
        "timeout": 30.0,
    }


def check_sdk_result(result: Any) -> None:
    if not result.transaction_id:
        raise RuntimeError("the SDK returned a cash-out without transaction_id")


# --- async ---------------------------------------------------------------------------------


async def run_async(sandbox: Sandbox, client: str, calls: int, concurrency: int, warmup: int) -> Measurement:
    label = f"py-async-{client}"
    if client == "sdk":
        import connectpsp

        async with connectpsp.AsyncClient(**sdk_options(sandbox)) as sdk:

            async def call(index: int) -> None:
                check_sdk_result(
                    await sdk.cash_out.create(
                        amount=AMOUNT,
                        external_reference=external_reference(sandbox, label, index),
                        description=DESCRIPTION,
                        payee=SDK_PAYEE,
                    )
                )

            return await drive_async(call, calls, concurrency, warmup)

    if client == "httpx":
        from peer_httpx import AsyncHttpxClient

        peer: Any = AsyncHttpxClient(sandbox.base_url, credentials(sandbox), concurrency)
    elif client == "aiohttp":
        from peer_aiohttp import AiohttpClient

        peer = AiohttpClient(sandbox.base_url, credentials(sandbox), concurrency)
    else:
        raise SystemExit(f"unknown async client {client!r}")
    try:

        async def peer_call(index: int) -> None:
            await peer.create_cash_out(AMOUNT, external_reference(sandbox, label, index), DESCRIPTION, PEER_PAYEE)

        return await drive_async(peer_call, calls, concurrency, warmup)
    finally:
        await peer.aclose()


# --- sync and threads ------------------------------------------------------------------------


def sync_client(
    sandbox: Sandbox, client: str, label: str, pool: int
) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A call function and a close function for one sync client shared by every caller."""
    if client == "sdk":
        import connectpsp

        sdk = connectpsp.Client(**sdk_options(sandbox))

        def sdk_call(index: int) -> None:
            check_sdk_result(
                sdk.cash_out.create(
                    amount=AMOUNT,
                    external_reference=external_reference(sandbox, label, index),
                    description=DESCRIPTION,
                    payee=SDK_PAYEE,
                )
            )

        return sdk_call, getattr(sdk, "close", lambda: None)
    if client == "requests":
        from peer_requests import RequestsClient

        peer: Any = RequestsClient(sandbox.base_url, credentials(sandbox), pool)
    elif client == "httpx":
        from peer_httpx import HttpxClient

        peer = HttpxClient(sandbox.base_url, credentials(sandbox), pool)
    else:
        raise SystemExit(f"unknown sync client {client!r}")

    def peer_call(index: int) -> None:
        peer.create_cash_out(AMOUNT, external_reference(sandbox, label, index), DESCRIPTION, PEER_PAYEE)

    return peer_call, peer.close


def run_sync(sandbox: Sandbox, client: str, calls: int, warmup: int) -> Measurement:
    call, close = sync_client(sandbox, client, f"py-sync-{client}", 1)
    try:
        return drive_sync(call, calls, warmup)
    finally:
        close()


def run_threads(sandbox: Sandbox, client: str, calls: int, threads: int, warmup: int) -> Measurement:
    call, close = sync_client(sandbox, client, f"py-threads-{client}", threads)
    try:
        return drive_threads(call, calls, threads, warmup)
    finally:
        close()


# --- footprint -------------------------------------------------------------------------------


async def run_rss(sandbox: Sandbox, runs: int, calls: int, concurrency: int) -> dict[str, Any]:
    """RSS after each of `runs` bursts of `calls` through one AsyncClient: growth means a leak."""
    import gc

    import connectpsp

    after: list[int] = []
    throughput: list[float] = []
    async with connectpsp.AsyncClient(**sdk_options(sandbox)) as sdk:

        async def call(index: int) -> None:
            check_sdk_result(
                await sdk.cash_out.create(
                    amount=AMOUNT,
                    external_reference=external_reference(sandbox, "py-rss", index),
                    description=DESCRIPTION,
                    payee=SDK_PAYEE,
                )
            )

        before = rss_kib()
        for run in range(runs):
            measured = await drive_async(call, calls, concurrency, 0, offset=run * calls)
            gc.collect()
            after.append(rss_kib())
            throughput.append(round(measured.calls / measured.wall_s, 1))
    return {"rss_kib_before": before, "rss_kib_after_runs": after, "calls_per_run": calls, "throughput": throughput}


def run_import(repeat: int) -> dict[str, Any]:
    """Median wall time of `import connectpsp` in fresh interpreters, and of import + Client()."""
    probe_import = "import time;t=time.perf_counter();import connectpsp;print(time.perf_counter()-t)"
    probe_client = (
        "import time;t=time.perf_counter();import connectpsp;"
        "connectpsp.Client(client_id='a',client_secret='b',application_token='c',crypto_token='d',"
        "base_url='http://127.0.0.1:9');print(time.perf_counter()-t)"
    )

    def median_ms(code: str) -> float:
        samples = [
            float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
            for _ in range(repeat)
        ]
        return round(statistics.median(samples) * 1000, 2)

    importtime = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import connectpsp"], check=True, capture_output=True, text=True
    ).stderr
    # The last line of -X importtime is the top-level package: "import time: self | cumulative | name".
    cumulative_us = next(
        int(line.split("|")[1]) for line in reversed(importtime.splitlines()) if line.rstrip().endswith(" connectpsp")
    )
    # The package's own modules (self time), apart from the standard library it pulls in.
    own_us = sum(
        int(line.split("|")[0].split(":")[1])
        for line in importtime.splitlines()
        if line.startswith("import time:") and line.split("|")[2].strip().startswith("connectpsp")
    )
    return {
        "own_modules_self_ms": round(own_us / 1000, 2),
        "import_ms_median": median_ms(probe_import),
        "import_and_client_ms_median": median_ms(probe_client),
        "importtime_cumulative_ms": round(cumulative_us / 1000, 2),
        "repeat": repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["async", "sync", "threads", "rss", "import"])
    parser.add_argument("--client", default="sdk")
    parser.add_argument("--calls", type=int)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()

    result: dict[str, Any] = {"scenario": args.scenario, "client": args.client}
    if args.scenario == "import":
        result.update(run_import(args.repeat))
    else:
        sandbox = Sandbox.from_env()
        if args.scenario == "async":
            warmup = args.warmup if args.warmup is not None else 2 * args.concurrency
            measured = asyncio.run(run_async(sandbox, args.client, args.calls or 5000, args.concurrency, warmup))
            result.update(concurrency=args.concurrency, warmup=warmup, **measured.summary())
        elif args.scenario == "sync":
            warmup = args.warmup if args.warmup is not None else 20
            result.update(warmup=warmup, **run_sync(sandbox, args.client, args.calls or 2000, warmup).summary())
        elif args.scenario == "threads":
            warmup = args.warmup if args.warmup is not None else 2 * args.threads
            measured = run_threads(sandbox, args.client, args.calls or 2000, args.threads, warmup)
            result.update(threads=args.threads, warmup=warmup, **measured.summary())
        else:
            result.update(asyncio.run(run_rss(sandbox, args.runs, args.calls or 10000, args.concurrency)))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
