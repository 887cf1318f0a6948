"""The profile reductions: a sample charged to the wrong part would send the next engineer
after the wrong cost."""

import subprocess
import sys
import textwrap

import pytest

from profiles import (
    ThreadCpu,
    categorize_cpuprofile,
    categorize_pyspy_raw,
    group_thread_ticks,
    parent_of,
    parse_task_stat,
    pyspy_frame_category,
    thread_group,
)

PKG = "file:///work/bench/js/node_modules/connectpsp/dist"


def frame(name: str, url: str = "") -> dict:
    return {"functionName": name, "url": url, "scriptId": "0", "lineNumber": 1, "columnNumber": 1}


# (root)
#  ├─ (program)                                   id 2
#  ├─ (garbage collector)                         id 3
#  ├─ (idle)                                      id 4
#  ├─ worker  bench/js/scenario.mjs               id 5
#  │   └─ create  connectpsp/dist/driver.js       id 6
#  │       ├─ poll  connectpsp_wasm.cjs           id 7
#  │       │   └─ wasm-function[42]               id 8
#  │       └─ request  node_modules/undici/…      id 9
#  │           └─ writev  node:internal/…         id 10  (transparent: undici's)
#  └─ onStreamRead  node:internal/stream_base     id 11  (nothing known above: Node internals)
CPUPROFILE = {
    "nodes": [
        {"id": 1, "callFrame": frame("(root)"), "children": [2, 3, 4, 5, 11]},
        {"id": 2, "callFrame": frame("(program)")},
        {"id": 3, "callFrame": frame("(garbage collector)")},
        {"id": 4, "callFrame": frame("(idle)")},
        {"id": 5, "callFrame": frame("worker", "file:///work/bench/js/scenario.mjs"), "children": [6]},
        {"id": 6, "callFrame": frame("create", f"{PKG}/driver.js"), "children": [7, 9]},
        {"id": 7, "callFrame": frame("poll", f"{PKG}/wasm/connectpsp_wasm.cjs"), "children": [8]},
        {"id": 8, "callFrame": frame("wasm-function[42]", "wasm://wasm/00a1b2c3")},
        {"id": 9, "callFrame": frame("request", "file:///work/bench/js/node_modules/undici/lib/api/api-request.js"),
         "children": [10]},
        {"id": 10, "callFrame": frame("writev", "node:internal/stream_base_commons")},
        {"id": 11, "callFrame": frame("onStreamRead", "node:internal/stream_base_commons")},
    ],
    # One sample per entry; timeDeltas are the µs each one stands for.
    "samples": [2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 10, 11],
    "timeDeltas": [10, 20, 500, 500, 1, 2, 3, 40, 40, 5, 6, 6, 7],
}  # fmt: skip


def test_cpuprofile_charges_each_sample_to_the_innermost_known_frame() -> None:
    summary = categorize_cpuprofile(CPUPROFILE)
    assert summary["categories_us"] == {
        "other (V8, native, unattributed)": 10,
        "GC": 20,
        "bench driver / peer code": 1,
        "SDK JS (driver, codec, results)": 2,
        "wasm-bindgen glue (crossings)": 3,
        "wasm core (Rust in wasm)": 80,
        "undici (HTTP client)": 5 + 12,  # writev is undici's: node internals are transparent
        "Node internals (net, streams, timers)": 7,
    }
    # The loop waiting ("(idle)", 1,000 µs) is not busy time.
    assert summary["busy_us"] == 10 + 20 + 1 + 2 + 3 + 80 + 17 + 7
    assert summary["top_self_us"][0] == {"function": "wasm-function[42]", "where": "wasm://wasm/00a1b2c3", "us": 80}
    assert {"function": "writev", "where": "node:internal/stream_base_commons", "us": 12} in summary["top_self_us"]


def test_cpuprofile_category_memo_does_not_leak_to_siblings() -> None:
    # A transparent frame reached first under undici must not make the SDK's own frames undici's.
    summary = categorize_cpuprofile({**CPUPROFILE, "samples": [10, 6], "timeDeltas": [4, 9]})
    assert summary["categories_us"] == {"undici (HTTP client)": 4, "SDK JS (driver, codec, results)": 9}


def test_node_bundled_fetch_counts_as_undici() -> None:
    profile = {
        "nodes": [
            {"id": 1, "callFrame": frame("(root)"), "children": [2]},
            {"id": 2, "callFrame": frame("fetch", "node:internal/deps/undici/undici")},
        ],
        "samples": [2],
        "timeDeltas": [25],
    }
    assert categorize_cpuprofile(profile)["categories_us"] == {"undici (HTTP client)": 25}


@pytest.mark.parametrize(
    ("frame_text", "category"),
    [
        ("connectpsp_core::bridge::calls::prepare_call (core/src/bridge/calls.rs:41)", "Rust core (connectpsp_core)"),
        ("<connectpsp_core::model::CashOut as serde::Deserialize>::deserialize", "Rust core (connectpsp_core)"),
        ("hyper::proto::h1::conn::Conn::poll_read (hyper-1.5/src/proto/h1/conn.rs:200)",
         "reqwest/hyper/tokio (I/O runtime)"),
        ("tokio::runtime::scheduler::multi_thread::worker::run", "reqwest/hyper/tokio (I/O runtime)"),
        ("pyo3::impl_::trampoline::trampoline", "PyO3 crossings + binding Rust"),
        ("_native::driver::drive::{{closure}}", "PyO3 crossings + binding Rust"),
        ("create (connectpsp/_client.py:310)", "Python SDK code"),
        ("_run_once (asyncio/base_events.py:1922)", "asyncio loop"),
        ("select (/usr/lib/python3.11/selectors.py:468)", "asyncio loop"),
        ("send (aiohttp/client.py:500)", "HTTP client library (peer)"),
        ("call (scenario.py:64)", "bench driver / peer code"),
        ("0x7f3a12 (_native.abi3.so)", "Rust in the extension (stripped: core, PyO3, reqwest/hyper/tokio)"),
        ("_PyEval_EvalFrameDefault (libpython3.11.so.1.0)", None),
        ("dumps (json/__init__.py:231)", None),  # the standard library: its caller's
        ("epoll_wait (libc.so.6)", None),
    ],
)  # fmt: skip
def test_pyspy_frame_categories(frame_text: str, category: str | None) -> None:
    assert pyspy_frame_category(frame_text) == category


def test_pyspy_raw_innermost_known_frame_and_rate() -> None:
    raw = textwrap.dedent(
        """\
        thread (0x7F01);<module> (scenario.py:270);run_forever (asyncio/base_events.py:607);_run_once (asyncio/base_events.py:1922);select (selectors.py:468);epoll_wait (libc.so.6) 30
        thread (0x7F01);<module> (scenario.py:270);call (scenario.py:64);create (connectpsp/_client.py:310);dumps (json/__init__.py:231);PyUnicode_New (libpython3.11.so.1.0) 10
        thread (0x7F01);<module> (scenario.py:270);create (connectpsp/_client.py:310);pyo3::impl_::trampoline::trampoline;connectpsp_core::bridge::calls::prepare_call;memcpy (libc.so.6) 4
        thread (0x7F02);tokio::runtime::scheduler::multi_thread::worker::run;hyper::proto::h1::io::Buffered::poll_read;recv (libc.so.6) 6
        thread (0x7F02);start_thread (libc.so.6) 2
        garbage line without a count
        """
    )
    summary = categorize_pyspy_raw(raw, rate_hz=200)  # one sample = 5,000 µs
    assert summary["samples"] == 52
    assert summary["categories_us"] == {
        "asyncio loop": 30 * 5000,
        "Python SDK code": 10 * 5000,  # json.dumps called by the SDK is the SDK's
        "Rust core (connectpsp_core)": 4 * 5000,  # the core under the PyO3 trampoline is the core's
        "reqwest/hyper/tokio (I/O runtime)": 6 * 5000,
        "other (interpreter, libc, unattributed)": 2 * 5000,
    }
    assert summary["busy_us"] == 52 * 5000
    assert summary["top_self_us"][0] == {"function": "epoll_wait (libc.so.6)", "us": 150000}


def test_pyspy_top_functions_merge_lines_and_addresses() -> None:
    raw = "f (connectpsp/_client.py:10) 3\nf (connectpsp/_client.py:12) 4\n0x7f01 (libc.so.6) 1\n0x7f02 (libc.so.6) 2\n"
    top = categorize_pyspy_raw(raw, rate_hz=1e6)["top_self_us"]
    assert top == [{"function": "f (connectpsp/_client.py)", "us": 7}, {"function": "[libc.so.6]", "us": 3}]


def test_task_stat_parsing_survives_names_with_spaces_and_parentheses() -> None:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    line = "4242 (V8 DefaultWorke) S 4200 4200 4200 0 -1 4194624 120 0 0 0 37 5 0 0 20 0 7 0"
    assert parse_task_stat(line) == ("V8 DefaultWorke", 42)
    assert parse_task_stat("77 (a) b (c)) R 1 1 1 0 -1 0 0 0 0 0 3 4 0 0") == ("a) b (c)", 7)


def test_thread_groups() -> None:
    assert thread_group("connectpsp-io") == "connectpsp-io"
    assert thread_group("tokio-runtime-w") == "tokio-runtime-w"
    assert thread_group("worker-12") == "worker"
    assert thread_group("Thread #3") == "Thread"
    ticks = [("node", "node", 100, True), ("node", "V8 DefaultWorke", 10, False), ("node", "V8 DefaultWorke", 20, False),
             ("node", "node", 7, False), ("python3.11", "connectpsp-io", 5, False)]  # fmt: skip
    groups = group_thread_ticks(ticks)
    tick_us = 1e6 / __import__("os").sysconf("SC_CLK_TCK")
    # A helper thread that kept the process's name is not the main thread (Node's platform workers).
    assert groups == {"main thread": 100 * tick_us, "V8 DefaultWorke": 30 * tick_us,
                      "unnamed threads (node)": 7 * tick_us, "connectpsp-io": 5 * tick_us}  # fmt: skip
    assert list(groups) == ["main thread", "V8 DefaultWorke", "unnamed threads (node)", "connectpsp-io"]


def test_thread_cpu_sees_a_real_child_and_its_named_threads() -> None:
    # A child that burns ~0.4 s of CPU in a thread it names "burner": /proc must show both.
    code = textwrap.dedent(
        """
        import ctypes, threading, time
        def burn():
            ctypes.CDLL(None).prctl(15, b"burner", 0, 0, 0)  # PR_SET_NAME: the thread's comm
            end = time.process_time() + 0.4
            while time.process_time() < end:
                pass
        t = threading.Thread(target=burn); t.start(); t.join()
        print('{"ok": true}')
        """
    )
    watch = ThreadCpu(interval_s=0.02)
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    watch.pid = process.pid
    with watch:
        out, _ = process.communicate(timeout=30)
    assert out.strip() == '{"ok": true}'
    groups = watch.groups_us()
    assert groups.get("burner", 0) >= 200_000  # at least half of its 0.4 s was seen before it ended
    assert "main thread" in groups


def test_thread_cpu_skips_a_wrapper_and_watches_its_child() -> None:
    # As with py-spy: the process started is a wrapper; the measured process is its child.
    child = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    wrapper = f"import subprocess, sys, time; subprocess.run([sys.executable, '-c', {child!r}]); time.sleep(0.2)"
    watch = ThreadCpu(skip_root=True, interval_s=0.02)
    process = subprocess.Popen([sys.executable, "-c", wrapper])
    watch.pid = process.pid
    with watch:
        process.wait(timeout=30)
    pids = {pid for pid, _ in watch.ticks}
    assert process.pid not in pids and len(pids) == 1  # the child only
    assert watch.groups_us()["main thread"] >= 150_000


def test_parent_of() -> None:
    assert parent_of("4242 (py spy (x)) S 4200 4242 4242 0 -1") == 4200


def test_module_loading_is_start_up_whatever_it_runs() -> None:
    # The SDK's own code run by Node's loader (its module body) is start-up, not per-call work.
    profile = {
        "nodes": [
            {"id": 1, "callFrame": frame("(root)"), "children": [2, 4]},
            {"id": 2, "callFrame": frame("loadESM", "node:internal/modules/esm/loader"), "children": [3]},
            {"id": 3, "callFrame": frame("", f"{PKG}/index.js")},
            {"id": 4, "callFrame": frame("create", f"{PKG}/driver.js")},
        ],
        "samples": [3, 2, 4],
        "timeDeltas": [30, 5, 8],
    }
    assert categorize_cpuprofile(profile)["categories_us"] == {
        "module loading (process start)": 35, "SDK JS (driver, codec, results)": 8}


def test_pyspy_imports_and_gc() -> None:
    raw = (
        "<module> (scenario.py:1);_find_and_load (<frozen importlib._bootstrap>:1176);<module> (connectpsp/__init__.py:3) 5\n"
        "call (scenario.py:64);create (connectpsp/_client.py:310);gc_collect_main (libpython3.11.so.1.0) 2\n"
    )
    summary = categorize_pyspy_raw(raw, rate_hz=1e6)
    assert summary["categories_us"] == {"imports (process start)": 5, "Python GC (cyclic collector)": 2}
