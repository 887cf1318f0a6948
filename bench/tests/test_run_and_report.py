"""The runner's parsing and the report's arithmetic: a misread wrk line or a wrong ratio would
publish a false claim."""

import copy

import pytest

import report
from run import cash_out_statuses, median_round, parse_wrk, token_calls

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:40123
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.57ms    1.20ms  22.05ms   80.12%
    Req/Sec     9.01k   512.33    10.02k    70.00%
  Latency Distribution
     50%    3.39ms
     75%    4.01ms
     90%    4.88ms
     99%  850.00us
  89650 requests in 5.00s, 61.55MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  17924.51
Transfer/sec:     12.31MB
"""


def test_parse_wrk() -> None:
    parsed = parse_wrk(WRK_OUTPUT)
    assert parsed["calls"] == 89650
    assert parsed["throughput"] == 17924.51
    assert parsed["p50_ms"] == 3.39
    assert parsed["p99_ms"] == 0.85  # microseconds converted
    assert parsed["non_2xx"] == 3


def test_parse_wrk_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_wrk("wrk: unable to connect")


def test_request_log_counts() -> None:
    counts = {"POST /auth/token 200": 2, "POST /cash-out 202": 5000, "POST /cash-out 409": 1, "GET /cash-out/x 200": 7}
    assert token_calls(counts) == 2
    assert cash_out_statuses(counts) == {"202": 5000, "409": 1}


def test_median_round_and_spread() -> None:
    runs = [{"throughput": 300.0}, {"error": "boom"}, {"throughput": 100.0}, {"throughput": 200.0}]
    chosen = median_round(runs)
    assert chosen["throughput"] == 200.0
    assert (chosen["throughput_min"], chosen["throughput_max"]) == (100.0, 300.0)
    assert chosen["rounds"] == 3 and chosen["failed_rounds"] == 1
    assert median_round([{"error": "boom"}]) == {"error": "boom"}


def row(throughput: float, tokens: int = 1) -> dict:
    return {
        "throughput": throughput,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "cpu_us_per_call": 50.0,
        "token_calls": tokens,
        "cash_out_statuses": {"202": 10},
    }


RESULTS = {
    "date": "2026-11-27 02:00 UTC",
    "command": "make bench",
    "duration_s": 1.0,
    "machine": {"nproc": 2, "cpu": "cpu", "ram_gib": 23.5, "kernel": "6", "loadavg_at_start": [0.1, 0.2, 0.3],
                "python": "Python 3.11", "node": "v20", "rustc": "rustc", "wrk": "wrk"},
    "settings": {"rounds": 3, "concurrency": 64, "settle_delay_ms": 1000, "quick": False,
                 "calls": {"async": 5000, "sync": 2000, "threads": 2000, "rss_per_run": 10000}},
    "footprint": {"wasm_gzip_bytes": 251_000, "python_import": {"import_ms_median": 5.0, "import_and_client_ms_median": 9.0,
                  "importtime_cumulative_ms": 4.0, "repeat": 21}},
    "scenarios": {
        "ceiling": {"wrk": {**row(10000.0), "non_2xx": 0, "command": "wrk ..."}},
        "py_async": {"sdk": row(6000.0), "httpx": row(3000.0), "aiohttp": {"error": "exit 1: RuntimeError: x"}},
        "py_sync": {"sdk": row(1200.0), "requests": row(1000.0), "httpx": row(1100.0)},
        "js_async": {"sdk": row(4400.0), "fetch": row(5000.0), "undici": row(5500.0)},
    },
}  # fmt: skip


def test_report_ratios_and_targets() -> None:
    text = report.render(copy.deepcopy(RESULTS))
    targets = {t: (shown, met) for t, shown, met in report.targets(RESULTS)}
    assert targets[report.TARGETS_TEXT["py_async_vs_httpx"]] == ("2.00×", True)
    assert targets[report.TARGETS_TEXT["py_async_vs_ceiling"]] == ("60 %", True)
    assert targets[report.TARGETS_TEXT["py_sync_vs_requests"]] == ("1.20×", False)
    assert targets[report.TARGETS_TEXT["js_vs_fetch"]] == ("0.88×", False)
    assert targets[report.TARGETS_TEXT["wasm_gzip"]][1] is False  # 251,000 B > 250 KB
    assert targets[report.TARGETS_TEXT["import_time"]] == ("5.0 ms", True)
    assert "| Python sync SDK ≥ 1.3× requests | 1.20× | **no** |" in text
    assert "**failed**: exit 1: RuntimeError: x" in text  # a failed client is shown, not hidden
    assert "| hand-written httpx.AsyncClient | **3,000** |" in text
    assert "| connectpsp.AsyncClient | **6,000** | — | 1.00 | 2.00 | 50 | (SDK) | 60 % | 1 | 202: 10 |" in text


def test_report_leaves_unmeasured_ratios_blank() -> None:
    results = copy.deepcopy(RESULTS)
    del results["scenarios"]["ceiling"]
    results["scenarios"]["py_async"]["httpx"] = {"error": "exit 1: boom"}
    targets = {t: (shown, met) for t, shown, met in report.targets(results)}
    assert targets[report.TARGETS_TEXT["py_async_vs_httpx"]] == ("—", None)
    assert targets[report.TARGETS_TEXT["py_async_vs_ceiling"]] == ("—", None)
