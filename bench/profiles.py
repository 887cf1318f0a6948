"""Where a client's time per call goes: the profiles of the bench's profiled runs, reduced to
a few categories the report can print.

Three sources, each parsed here so `make test-bench` can check the arithmetic on fixed inputs:

- a V8 CPU profile (`node --cpu-prof`): the main thread's samples, each charged to the
  innermost frame that belongs to a known part (undici, the wasm core, the SDK's JS, GC, …);
- py-spy's raw (collapsed) stacks (`py-spy record --native --format raw`): every Python-known
  thread, the same innermost-known-frame rule (Rust core, reqwest/hyper/tokio, PyO3, …);
- /proc/<pid>/task/*/stat, polled while the process runs: CPU per thread group, which sees
  the threads no sampler of the language sees (the tokio workers, V8's GC helpers, libuv).

"Innermost known" means: walk the stack from the leaf towards the root and take the first
frame that names a category; frames of the interpreter, libc, the kernel or node's internals
are transparent (a `memcpy` under the core's JSON parser is the core's time, an `epoll_wait`
under the selector is the loop's). A sample with no known frame at all is "other".
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# --- categories ----------------------------------------------------------------------------

NODE_CATEGORIES = (
    "undici (HTTP client)",
    "module loading (process start)",
    "wasm core (Rust in wasm)",
    "wasm-bindgen glue (crossings)",
    "SDK JS (driver, codec, results)",
    "GC",
    "Node internals (net, streams, timers)",
    "bench driver / peer code",
    "other (V8, native, unattributed)",
)

PY_CATEGORIES = (
    "imports (process start)",
    "Python GC (cyclic collector)",
    "Rust core (connectpsp_core)",
    "reqwest/hyper/tokio (I/O runtime)",
    "PyO3 crossings + binding Rust",
    "Rust in the extension (stripped: core, PyO3, reqwest/hyper/tokio)",
    "Python SDK code",
    "asyncio loop",
    "HTTP client library (peer)",
    "bench driver / peer code",
    "other (interpreter, libc, unattributed)",
)


def node_frame_category(function_name: str, url: str) -> str | None:
    """The category a V8 profile frame names, or None for a transparent frame."""
    if function_name == "(garbage collector)":
        return "GC"
    if function_name == "(program)":
        return "other (V8, native, unattributed)"
    if url.startswith("wasm://") or re.match(r"^\$?wasm-function\[\d+\]", function_name) or "_bg.wasm" in url:
        return "wasm core (Rust in wasm)"
    path = url.removeprefix("file://")
    if "/node_modules/connectpsp/" in path:
        # wasm-bindgen's generated JS (connectpsp_wasm.{cjs,js,mjs}): marshalling across the boundary.
        if "/connectpsp_wasm" in path:
            return "wasm-bindgen glue (crossings)"
        return "SDK JS (driver, codec, results)"
    if "/node_modules/undici/" in path or url == "node:internal/deps/undici/undici":
        # The package's undici, or Node's bundled copy behind the global fetch.
        return "undici (HTTP client)"
    if "/bench/js/" in path:
        return "bench driver / peer code"
    if url.startswith("file://") or url.startswith("/"):
        return "other (V8, native, unattributed)"  # some other script: named, but none of ours
    return None  # node:internal/*, natives with no URL: charged to whoever called them


NODE_LOADING = "module loading (process start)"


def categorize_cpuprofile(profile: dict[str, Any]) -> dict[str, Any]:
    """Self time per category (µs) and the heaviest functions of a `.cpuprofile`.

    Time per sample is its `timeDeltas` entry; "(idle)" samples are the event loop waiting and
    are left out, so the total is the main thread's busy time. A node's category is its own if
    its frame names one, else its parent's (the innermost known frame); anything under Node's
    module loader is start-up, whatever it runs.
    """
    nodes = {node["id"]: node for node in profile["nodes"]}
    has_parent = {child for node in profile["nodes"] for child in node.get("children", ())}
    category_of: dict[int, str] = {}
    todo = [(node_id, "Node internals (net, streams, timers)") for node_id in nodes if node_id not in has_parent]
    while todo:
        node_id, inherited = todo.pop()
        frame = nodes[node_id]["callFrame"]
        url = frame.get("url", "")
        if inherited == NODE_LOADING or url.startswith("node:internal/modules/"):
            own = NODE_LOADING
        else:
            own = node_frame_category(frame.get("functionName", ""), url) or inherited
        category_of[node_id] = own
        todo.extend((child, own) for child in nodes[node_id].get("children", ()))

    per_category: dict[str, float] = {}
    per_function: dict[tuple[str, str], float] = {}
    samples = profile.get("samples", [])
    deltas = profile.get("timeDeltas", [0] * len(samples))
    for node_id, delta in zip(samples, deltas):
        frame = nodes[node_id]["callFrame"]
        if frame.get("functionName") == "(idle)":
            continue
        delta = max(delta, 0)
        name = category_of.get(node_id, "other (V8, native, unattributed)")
        per_category[name] = per_category.get(name, 0.0) + delta
        key = (frame.get("functionName") or "(anonymous)", short_url(frame.get("url", "")))
        per_function[key] = per_function.get(key, 0.0) + delta
    top = sorted(per_function.items(), key=lambda item: -item[1])[:10]
    return {
        "busy_us": round(sum(per_category.values()), 1),
        "categories_us": {name: round(us, 1) for name, us in per_category.items()},
        "top_self_us": [{"function": f, "where": w, "us": round(us, 1)} for (f, w), us in top],
    }


def short_url(url: str) -> str:
    if not url:
        return "native"
    if url.startswith(("node:", "wasm:")):
        return url
    path = url.removeprefix("file://")
    for marker in ("/node_modules/", "/bench/"):
        if marker in path:
            return path[path.rindex(marker) + 1 :]
    return os.path.basename(path)


# py-spy frames look like "name (file:line)", "name (file)" or a bare "name"; thread frames like
# "thread (0x7F…)" or `process 123:"python scenario.py"` come first with --threads/--subprocesses.
PYSPY_FRAME = re.compile(r"^(?P<name>.*?)(?: \((?P<where>[^()]*)\))?$")
TRANSPORT_CRATES = ("tokio::", "hyper::", "hyper_util::", "reqwest::", "h2::", "rustls::", "mio::", "want::",
                    "socket2::", "tokio_rustls::", "http_body_util::")  # fmt: skip
PEER_LIBRARIES = ("/aiohttp/", "/httpx/", "/httpcore/", "/requests/", "/urllib3/", "/yarl/", "/multidict/",
                  "/anyio/", "/h11/", "/aiohappyeyeballs/", "/propcache/", "/frozenlist/")  # fmt: skip


def pyspy_frame_category(frame: str) -> str | None:
    match = PYSPY_FRAME.match(frame)
    name, where = (match["name"], match["where"] or "") if match else (frame, "")
    if name.startswith(("gc_collect", "collect_with_callback")) and "libpython" in where:
        return "Python GC (cyclic collector)"
    # Rust symbols (demangled, the crate path first; sometimes `<T as Trait>::f` wraps it).
    bare = name.lstrip("<&*")
    if bare.startswith("connectpsp_core::") or "<connectpsp_core::" in name:
        return "Rust core (connectpsp_core)"
    if bare.startswith(TRANSPORT_CRATES):
        return "reqwest/hyper/tokio (I/O runtime)"
    if bare.startswith(("pyo3::", "_native::", "connectpsp_python::")):
        return "PyO3 crossings + binding Rust"
    file = where.rsplit(":", 1)[0] if re.search(r":\d+$", where) else where
    if file.endswith(".py"):
        path = "/" + file.lstrip("/")  # py-spy shortens paths to the package part by default
        if "/connectpsp/" in path:
            return "Python SDK code"
        if "/asyncio/" in path or path.endswith("/selectors.py"):
            return "asyncio loop"
        if any(lib in path for lib in PEER_LIBRARIES):
            return "HTTP client library (peer)"
        if "/bench/python/" in path or os.path.basename(path) in ("scenario.py", "common.py") or "/peer_" in path:
            return "bench driver / peer code"
        return None  # the rest of the standard library: charged to its caller
    if "_native" in where and where.endswith(".so"):
        # A frame inside the extension module without a symbol name: the wheel is stripped.
        return "Rust in the extension (stripped: core, PyO3, reqwest/hyper/tokio)"
    if any(lib in f"/{where}" for lib in PEER_LIBRARIES):  # aiohttp's C speedups (_http_parser.*.so)
        return "HTTP client library (peer)"
    return None


def function_key(frame: str) -> str:
    """A py-spy frame without its line number; a bare address becomes its library."""
    match = PYSPY_FRAME.match(frame)
    if not match:
        return frame
    name, where = match["name"], match["where"] or ""
    where = re.sub(r":\d+$", "", where)
    if re.fullmatch(r"0x[0-9a-fA-F]+", name):
        return f"[{where or 'unknown'}]"
    return f"{name} ({where})" if where else name


def categorize_pyspy_raw(text: str, rate_hz: float) -> dict[str, Any]:
    """Self time per category (µs) from py-spy's collapsed stacks ("root;…;leaf COUNT")."""
    per_category: dict[str, float] = {}
    per_function: dict[str, float] = {}
    samples = 0
    for line in text.splitlines():
        line = line.rstrip()
        if not line or " " not in line:
            continue
        stack_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack_text.split(";") if f and not f.startswith(("thread (", "process "))]
        samples += count
        found = "other (interpreter, libc, unattributed)"
        if any("<frozen importlib" in frame for frame in frames):
            frames = []  # start-up, whatever the imported module's body runs
            found = "imports (process start)"
        for frame in reversed(frames):
            named = pyspy_frame_category(frame)
            if named is not None:
                found = named
                break
        per_category[found] = per_category.get(found, 0.0) + count
        leaf = function_key(frames[-1]) if frames else found
        per_function[leaf] = per_function.get(leaf, 0.0) + count
    to_us = 1e6 / rate_hz
    top = sorted(per_function.items(), key=lambda item: -item[1])[:10]
    return {
        "samples": samples,
        "busy_us": round(samples * to_us, 1),
        "categories_us": {name: round(n * to_us, 1) for name, n in per_category.items()},
        "top_self_us": [{"function": f, "us": round(n * to_us, 1)} for f, n in top],
    }


# --- CPU per thread, from /proc ------------------------------------------------------------

CLOCK_TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def parse_task_stat(text: str) -> tuple[str, int]:
    """(thread name, user + system clock ticks) from a /proc/<pid>/task/<tid>/stat line."""
    # The name is in parentheses and may itself contain spaces or parentheses: split on the last ")".
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # After the name: state(3) ppid(4) … utime(14) stime(15), numbered from pid = 1.
    return name, int(fields[11]) + int(fields[12])


def thread_group(name: str) -> str:
    """Threads of one pool under one name: "tokio-runtime-w" / "V8 DefaultWorke" / "libuv-worker"."""
    return re.sub(r"[\s#_-]*\d+$", "", name) or name


def parent_of(stat_text: str) -> int:
    """The parent pid from a /proc/<pid>/stat line (the field after the state)."""
    return int(stat_text[stat_text.rindex(")") + 2 :].split()[1])


def descendants(pid: int) -> list[int]:
    """The process and every process below it (by scanning /proc: this kernel has no
    /proc/<pid>/task/<tid>/children)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = parent_of(Path(f"/proc/{entry}/stat").read_text())
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, ()))
    return out


class ThreadCpu:
    """Polls the CPU time of every thread of a process while it runs (the last reading of a
    thread that exited stands: at most one poll interval of its time is lost). With
    `skip_root`, the process is a wrapper (py-spy): its descendants are watched instead."""

    def __init__(self, pid: int = 0, skip_root: bool = False, interval_s: float = 0.1):
        self.pid, self.skip_root, self.interval_s = pid, skip_root, interval_s
        self.ticks: dict[tuple[int, int], tuple[str, str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ThreadCpu:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while True:
            self.read_once()
            if self._stop.wait(self.interval_s):
                return

    def read_once(self) -> None:
        for pid in descendants(self.pid) if self.skip_root else [self.pid]:
            if self.skip_root and pid == self.pid:
                continue
            try:
                process = Path(f"/proc/{pid}/comm").read_text().strip()
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                try:
                    name, ticks = parse_task_stat(Path(f"/proc/{pid}/task/{tid}/stat").read_text())
                except (OSError, ValueError, IndexError):
                    continue
                self.ticks[(pid, int(tid))] = (process, name, ticks)

    def groups_us(self) -> dict[str, float]:
        return group_thread_ticks((process, name, ticks, pid == tid) for (pid, tid), (process, name, ticks) in self.ticks.items())


def group_thread_ticks(readings: Iterable[tuple[str, str, int, bool]]) -> dict[str, float]:
    """CPU µs per thread group: the main thread, then the pools by name (a thread left with the
    process's name is an unnamed one: V8's platform workers, libuv's pool)."""
    groups: dict[str, float] = {}
    for process, name, ticks, is_main in readings:
        if is_main:
            label = "main thread"
        elif name == process:
            label = f"unnamed threads ({process})"
        else:
            label = thread_group(name)
        groups[label] = groups.get(label, 0.0) + ticks * CLOCK_TICK_US
    return dict(sorted(groups.items(), key=lambda item: -item[1]))
