"""What every Python scenario shares: the sandbox coordinates, the payout every client sends,
the bounded-concurrency drivers and the latency statistics.

The same driver runs the SDK and every hand-written peer, so the clients differ only in the
client itself: same payload, same concurrency, same warm-up, same clock.
"""

from __future__ import annotations

import asyncio
import os
import resource
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from collections.abc import Awaitable, Callable

# One amount for every payout: small enough that tens of thousands fit in the sandbox balance.
AMOUNT = Decimal("1.00")
DESCRIPTION = "bench payout"
PAYEE_NAME = "Maria Silva"
PAYEE_DOCUMENT = "12345678909"  # a valid CPF (check digits 0 and 9)


@dataclass(frozen=True)
class Sandbox:
    base_url: str
    client_id: str
    client_secret: str
    application_token: str
    crypto_token: str
    run_id: str

    @classmethod
    def from_env(cls) -> Sandbox:
        env = os.environ
        return cls(
            base_url=env["CONNECTPSP_BASE_URL"].rstrip("/"),
            client_id=env["CONNECTPSP_CLIENT_ID"],
            client_secret=env["CONNECTPSP_CLIENT_SECRET"],
            application_token=env["CONNECTPSP_APPLICATION_TOKEN"],
            crypto_token=env["CONNECTPSP_CRYPTO_TOKEN"],
            run_id=env.get("BENCH_RUN_ID", str(int(time.time()))),
        )


def external_reference(sandbox: Sandbox, client: str, index: int) -> str:
    # Unique per run, client and call: a reused reference would be a 409, not a payout.
    return f"bench-{sandbox.run_id}-{client}-{index}"


@dataclass
class Measurement:
    calls: int
    wall_s: float
    latencies_ns: list[int]
    cpu_s: float = 0.0  # user + system time of the whole client process (every thread) meanwhile

    def summary(self) -> dict[str, float | int]:
        ordered = sorted(self.latencies_ns)
        return {
            "calls": self.calls,
            "wall_s": round(self.wall_s, 4),
            "throughput": round(self.calls / self.wall_s, 1),
            "cpu_us_per_call": round(self.cpu_s * 1e6 / self.calls, 1),
            "p50_ms": round(percentile(ordered, 50) / 1e6, 3),
            "p99_ms": round(percentile(ordered, 99) / 1e6, 3),
        }


def cpu_seconds() -> float:
    """CPU time of this process, all threads (the SDK's runtime threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(ordered: list[int], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return float(ordered[int(rank) - 1])


async def drive_async(
    call: Callable[[int], Awaitable[object]], calls: int, concurrency: int, warmup: int, offset: int = 0
) -> Measurement:
    """`concurrency` workers pull call indexes from one shared counter until `calls` are done.

    The warm-up (not measured) opens the pooled connections and fetches the token, as a
    long-running service would have done long before the burst.
    """

    async def pool(first: int, count: int, latencies: list[int] | None) -> None:
        indexes = iter(range(first, first + count))

        async def worker() -> None:
            for index in indexes:  # one event loop thread: the shared iterator needs no lock
                started = time.perf_counter_ns()
                await call(index)
                if latencies is not None:
                    latencies.append(time.perf_counter_ns() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await pool(offset, warmup, None)
    latencies: list[int] = []
    cpu, started = cpu_seconds(), time.perf_counter()
    await pool(offset + warmup, calls, latencies)
    return Measurement(calls, time.perf_counter() - started, latencies, cpu_seconds() - cpu)


def drive_sync(call: Callable[[int], object], calls: int, warmup: int, offset: int = 0) -> Measurement:
    for index in range(offset, offset + warmup):
        call(index)
    latencies: list[int] = []
    cpu, started = cpu_seconds(), time.perf_counter()
    for index in range(offset + warmup, offset + warmup + calls):
        t0 = time.perf_counter_ns()
        call(index)
        latencies.append(time.perf_counter_ns() - t0)
    return Measurement(calls, time.perf_counter() - started, latencies, cpu_seconds() - cpu)


def drive_threads(call: Callable[[int], object], calls: int, threads: int, warmup: int, offset: int = 0) -> Measurement:
    """`threads` OS threads share one client and one counter of call indexes."""

    def pool(first: int, count: int, latencies: list[int] | None) -> None:
        lock = threading.Lock()
        indexes = iter(range(first, first + count))
        failures: list[BaseException] = []

        def worker() -> None:
            try:
                while True:
                    with lock:
                        index = next(indexes, None)
                    if index is None:
                        return
                    t0 = time.perf_counter_ns()
                    call(index)
                    if latencies is not None:
                        latencies.append(time.perf_counter_ns() - t0)  # list.append is atomic
            except BaseException as exc:  # surfaced below: a failed call fails the scenario
                failures.append(exc)

        workers = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        if failures:
            raise failures[0]

    pool(offset, warmup, None)
    latencies: list[int] = []
    cpu, started = cpu_seconds(), time.perf_counter()
    pool(offset + warmup, calls, latencies)
    return Measurement(calls, time.perf_counter() - started, latencies, cpu_seconds() - cpu)


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("VmRSS not found in /proc/self/status")
