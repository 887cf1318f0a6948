"""The runner's parsing and the report's arithmetic: a misread wrk line or a wrong ratio would
publish a false claim."""

import copy

import pytest

import report
from run import cash_out_statuses, last_json_line, median_by, median_round, parse_wrk, per_call, relative_args, token_calls

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
    assert chosen["rounds"] == 3 and chosen["failed_rounds"] == 1 and chosen["failed_errors"] == ["boom"]
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


def rss_row(after_mib: list[float]) -> dict:
    return {"rss_kib_before": 20 * 1024, "rss_kib_after_runs": [int(m * 1024) for m in after_mib],
            "calls_per_run": 10000, "throughput": [1.0] * len(after_mib), "token_calls": 1}  # fmt: skip


RESULTS = {
    "date": "2026-11-27 02:00 UTC",
    "command": "make bench",
    "argv": "python bench/run.py --sandbox-bin $CACHE/target/release/connectpsp-sandbox",
    "duration_s": 1.0,
    "machine": {"nproc": 2, "cpu": "cpu", "ram_gib": 23.5, "kernel": "6", "loadavg_at_start": [0.1, 0.2, 0.3],
                "loadavg_at_end": [4.5, 3.25, 1.0], "python": "Python 3.11", "node": "v20", "rustc": "rustc", "wrk": "wrk"},
    "settings": {"rounds": 3, "concurrency": 64, "settle_delay_ms": 1000, "quick": False,
                 "calls": {"async": 5000, "httpx_async": 2000, "sync": 2000, "threads": 2000, "rss_per_run": 10000}},
    "footprint": {"wasm_gzip_bytes": 251_000, "python_import": {"import_ms_median": 5.0, "import_and_client_ms_median": 9.0,
                  "importtime_cumulative_ms": 4.0, "repeat": 21},
                  "node_load": {"esm_load_ms_median": 21.5, "cjs_load_ms_median": 9.0, "repeat": 21}},
    "criterion": {"command": "cargo bench", "benches": [
        {"name": "cash_out: build + sign request", "median_ns": 1300.0, "low_ns": 1290.0, "high_ns": 1310.0},
        {"name": "cash_out: parse response", "median_ns": 1200.0, "low_ns": 1190.0, "high_ns": 1210.0}]},
    "scenarios": {
        "ceiling": {"wrk": {**row(10000.0), "non_2xx": 0, "command": "wrk ..."}},
        "py_async": {"sdk": row(6000.0), "httpx": row(3000.0), "aiohttp": row(4500.0)},
        "py_sync": {"sdk": row(1200.0), "requests": row(1000.0), "httpx": row(1100.0)},
        "js_async": {"sdk": row(4400.0), "fetch": row(2000.0), "undici": row(5500.0)},
        "js_core": {"calls": 20000, "cpu_us_per_call": 12.5, "wall_us_per_call": 13.0},
        "rss": {"python": rss_row([30.0, 31.0, 34.5]), "node": rss_row([180.0, 190.0, 182.0])},
    },
    "timings": [{"part": "footprint", "seconds": 12.25, "load_1m_at_start": 3.5}],
}  # fmt: skip


def by_key(results: dict) -> dict:
    """The target rows by their key in TARGETS_TEXT."""
    texts = {text: key for key, text in report.TARGETS_TEXT.items()}
    return {texts[text]: (shown, met) for text, shown, met in report.targets(results)}


def test_every_issue_12_target_has_a_row() -> None:
    assert set(by_key(RESULTS)) == set(report.TARGETS_TEXT)


def test_report_ratios_and_targets() -> None:
    text = report.render(copy.deepcopy(RESULTS))
    rows = by_key(RESULTS)
    assert rows["py_async_vs_aiohttp"] == ("1.33×", False)  # 6,000 / 4,500, not the httpx peer's 2.00×
    assert rows["py_async_vs_ceiling"] == ("60 %", True)
    assert rows["py_sync_vs_requests"] == ("1.20×", False)
    assert rows["js_vs_fetch"] == ("2.20×", True)
    assert rows["js_vs_undici"] == ("0.80× (goal 0.8×: reached)", True)
    assert rows["wasm_gzip"][1] is False  # 251,000 B > 250 KB
    assert rows["import_time"] == ("5.0 ms wall (median of fresh interpreters); judged on wall", True)
    assert rows["node_load"][1] is False  # import() at 21.5 ms fails it although require() passes
    shown, met = rows["js_core_cpu"]
    assert met is True and shown.startswith("12.5 µs (native core, criterion: 1.30 + 1.20 = 2.50 µs; wasm / native 5.0×)")
    assert "| Python sync SDK ≥ 1.3× hand-written requests | 1.20× | **no** |" in text
    assert "| hand-written httpx.AsyncClient | **3,000** |" in text
    assert "| connectpsp.AsyncClient | **6,000** | — | 1.00 | 2.00 | 50 | (SDK) | 60 % | 1 | 202: 10 |" in text
    assert "at start 0.10, 0.20, 0.30, at end 4.50, 3.25, 1.00" in text
    assert "which ran `python bench/run.py --sandbox-bin $CACHE/target/release/connectpsp-sandbox`" in text
    assert "the httpx peer 2,000 calls" in text
    assert "| footprint | 12.2 | 3.50 |" in text


def test_undici_goal_and_floor_are_separate() -> None:
    results = copy.deepcopy(RESULTS)
    results["scenarios"]["js_async"]["undici"] = row(6600.0)  # 4,400 / 6,600 = 0.67
    assert by_key(results)["js_vs_undici"] == ("0.67× (goal 0.8×: not yet)", True)
    results["scenarios"]["js_async"]["undici"] = row(8000.0)  # 0.55
    assert by_key(results)["js_vs_undici"][1] is False


def test_rss_flat_is_run_3_minus_run_1_under_the_threshold() -> None:
    rows = by_key(RESULTS)
    # Python grew 4.5 MiB between run 1 and run 3 (< 5: flat); Node shrank after a peak in run 2.
    assert rows["rss_python"] == ("run 3 − run 1: +4.5 MiB, 236 B/call (flat: < 5 MiB)", True)
    assert rows["rss_node"] == ("run 3 − run 1: +2.0 MiB, 105 B/call (flat: < 5 MiB)", True)  # the run-2 peak is not growth
    results = copy.deepcopy(RESULTS)
    results["scenarios"]["rss"]["python"] = rss_row([30.0, 33.0, 36.0])  # +6 MiB: a leak
    assert by_key(results)["rss_python"][1] is False
    results["scenarios"]["rss"]["node"] = {"error": "exit 1: boom"}
    assert by_key(results)["rss_node"] == ("failed: exit 1: boom", None)
    assert "| Python, AsyncClient | 20.0 MiB | 30.0 MiB | 33.0 MiB | 36.0 MiB | +6.0 MiB |" in report.render(results)


def test_report_leaves_unmeasured_ratios_blank() -> None:
    results = copy.deepcopy(RESULTS)
    del results["scenarios"]["ceiling"]
    del results["criterion"]
    results["scenarios"]["py_async"]["aiohttp"] = {"error": "exit 1: boom"}
    rows = by_key(results)
    assert rows["py_async_vs_aiohttp"] == ("—", None)
    assert rows["py_async_vs_ceiling"] == ("—", None)
    assert rows["js_core_cpu"] == ("12.5 µs", True)  # no criterion in this run: no native figure beside it
    assert "**failed**: exit 1: boom" in report.render(results)  # a failed client is shown, not hidden


def profile(categories: dict, busy: float, threads: dict, calls: int = 1000) -> dict:
    return per_call(
        {"busy_us": busy, "categories_us": categories, "top_self_us": [{"function": "f", "where": "x.js", "us": 500.0}]},
        calls,
    ) | {"tool": "tool", "command": "cmd", "throughput_profiled": 900.0, "threads_cpu_us_per_call": threads}


def test_profile_section_per_call_and_gap_to_the_peer() -> None:
    results = copy.deepcopy(RESULTS)
    results["scenarios"]["profile_js"] = {
        "sdk": profile({"undici (HTTP client)": 40000.0, "wasm core (Rust in wasm)": 20000.0}, 60000.0,
                       {"main thread": 70.0, "V8 DefaultWorke": 5.0}),
        "undici": profile({"undici (HTTP client)": 30000.0}, 30000.0, {"main thread": 35.0}),
    }  # fmt: skip
    results["scenarios"]["profile_py"] = {"sdk": {"error": "py-spy not found"}, "aiohttp": {}}
    text = report.render(results)
    assert "| undici (HTTP client) | 40.0 | 67 % | 30.0 | +10.0 |" in text
    assert "| wasm core (Rust in wasm) | 20.0 | 33 % | 0.0 | +20.0 |" in text
    assert "| **all sampled threads** | **60.0** | 100 % | **30.0** | **+30.0** |" in text
    assert "| V8 DefaultWorke | 5.0 | — |" in text
    assert "| **process** | **75.0** | **35.0** |" in text
    assert "- connectpsp.AsyncClient: **failed**: py-spy not found" in text
    assert "`f` (x.js) 0.5" in text


def test_last_json_line_skips_a_wrappers_chatter() -> None:
    out = '{"partial": \npy-spy> Sampling process 400 times a second\n{"throughput": 5.0}\npy-spy> Wrote raw\n'
    assert last_json_line(out) == {"throughput": 5.0}
    with pytest.raises(RuntimeError):
        last_json_line("py-spy> nothing else\n")


def test_median_by_and_relative_args(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = [{"cpu_us_per_call": 30.0}, {"error": "x"}, {"cpu_us_per_call": 10.0}, {"cpu_us_per_call": 20.0}]
    chosen = median_by(runs, "cpu_us_per_call")
    assert chosen["cpu_us_per_call"] == 20.0 and chosen["runs"] == 3
    assert (chosen["cpu_us_per_call_min"], chosen["cpu_us_per_call_max"]) == (10.0, 30.0)
    assert median_by([{"error": "x"}], "cpu_us_per_call") == {"error": "x"}
    monkeypatch.setenv("CACHE", "/root/.cache/cpsp-x/")
    import run

    args = [str(run.ROOT / "dist"), "/root/.cache/cpsp-x/venv-bench/bin/python", "--quick"]
    assert relative_args(args) == ["dist", "$CACHE/venv-bench/bin/python", "--quick"]


def test_per_call_scales_sampled_shares_to_the_cpu_from_proc() -> None:
    # 3 s sampled (a loaded machine: runnable but waiting counts) but 1.5 s of CPU: halve it.
    sampled = {"busy_us": 3e6, "categories_us": {"a": 2e6, "b": 1e6}, "top_self_us": [{"function": "f", "us": 6e5}]}
    scaled = per_call(sampled, 1000, cpu_us=1.5e6)
    assert scaled["sampled_us_per_call"] == 3000.0
    assert scaled["busy_us_per_call"] == 1500.0
    assert scaled["categories_us_per_call"] == {"a": 1000.0, "b": 500.0}
    assert scaled["top_self_us_per_call"] == [{"function": "f", "us": 300.0}]
    assert per_call(sampled, 1000)["categories_us_per_call"] == {"a": 2000.0, "b": 1000.0}  # no /proc figure


def test_a_failed_round_is_said_beside_the_spread() -> None:
    results = copy.deepcopy(RESULTS)
    sdk = median_round([{"error": "exit -5: V8_Fatal"}, row(4000.0), row(4400.0)])
    results["scenarios"]["js_async"]["sdk"] = sdk
    text = report.render(results)
    assert "| connectpsp (npm) ConnectPSP | **4,000** | 4,000–4,400 (1 of 3 rounds failed: exit -5: V8_Fatal) |" in text


def test_start_up_is_judged_on_cpu_when_the_machine_is_loaded() -> None:
    results = copy.deepcopy(RESULTS)
    results["footprint"]["python_import"]["import_ms_median"] = 97.0  # wall, inflated by waiting for a core
    results["footprint"]["startup_cpu"] = {"python_import_cpu_ms": 14.0, "node_require_cpu_ms": 12.0,
                                           "node_import_cpu_ms": 25.0, "repeat": 11}  # fmt: skip
    assert by_key(results)["import_time"][1] is False  # quiet machine (load 0.1 < 2 cores): wall decides
    results["machine"]["loadavg_at_start"] = [13.3, 15.0, 15.1]
    rows = by_key(results)
    assert rows["import_time"] == ("97.0 ms wall (median of fresh interpreters); CPU above an empty process "
                                   "14.0 ms; judged on CPU (machine loaded)", True)  # fmt: skip
    assert rows["node_load"][1] is False  # import() costs 25 ms of CPU
    assert "CPU above an empty process `import()` 25.0 ms, `require()` 12.0 ms" in rows["node_load"][0]
    results["footprint"]["startup_cpu"]["python_import_cpu_ms"] = 120.0  # CPU above the wall: threads
    assert by_key(results)["import_time"][0].endswith("judged on wall (below the CPU figure)")
