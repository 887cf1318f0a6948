"""The benchmark run: starts the release sandbox, runs every scenario, counts the token calls
from the sandbox's request log, measures the footprint, runs the core's criterion benches, then
writes the raw results (JSON) and docs/benchmarks.md.

    python bench/run.py --sandbox-bin PATH --python PATH --wheel-dir dist --npm-dir dist \
        [--rounds 3] [--quick] [--out docs/benchmarks.md] [--results PATH]

Every figure in the report comes from this one run. Scenarios that compare clients run in
rounds with the clients interleaved (SDK, peer, peer, SDK, …) so that a burst of background
load on this shared 2-core machine hits every client alike; the report shows each client's
median round and the spread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import gzip
import hashlib
import hmac
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import report
from profiles import ThreadCpu, categorize_cpuprofile, categorize_pyspy_raw

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

# Fixed sandbox credentials: passed to the sandbox and to every client.
CREDENTIALS = {
    "CONNECTPSP_CLIENT_ID": "bench-client",
    "CONNECTPSP_CLIENT_SECRET": "bench-secret-5c1d7a0e-3b8f-4e2a-9d61-0f4b2c8e7a93",
    "CONNECTPSP_APPLICATION_TOKEN": "0e8f6a2c-4d1b-4c7e-9a35-6b2d8f1e0c47",
    "CONNECTPSP_CRYPTO_TOKEN": "bench-crypto-token-7f3e91",
}


def log(message: str) -> None:
    print(f"::: bench: {message}", file=sys.stderr, flush=True)


# --- the sandbox -----------------------------------------------------------------------------


class Sandbox:
    def __init__(self, binary: str, settle_delay_ms: int, log_path: Path):
        self.log_path = log_path
        self.args = [
            binary,
            "--port", "0",
            "--settle-delay-ms", str(settle_delay_ms),
            "--seed", "1",
            "--client-id", CREDENTIALS["CONNECTPSP_CLIENT_ID"],
            "--client-secret", CREDENTIALS["CONNECTPSP_CLIENT_SECRET"],
            "--application-token", CREDENTIALS["CONNECTPSP_APPLICATION_TOKEN"],
            "--crypto-token", CREDENTIALS["CONNECTPSP_CRYPTO_TOKEN"],
        ]  # fmt: skip
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Sandbox:
        # Its stderr goes to a file: a sandbox that fails to start says why there.
        self.stderr = open(self.log_path, "w")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(
                    f"the sandbox exited before printing its URL (see {self.log_path}): {shlex.join(self.args)}"
                )
            if line.startswith("CONNECTPSP_SANDBOX_URL="):
                self.url = line.split("=", 1)[1].strip().rstrip("/")
                break
        else:
            raise RuntimeError("the sandbox printed no CONNECTPSP_SANDBOX_URL within 60 s")
        # Drain the rest of its stdout so it can never block on a full pipe.
        sink = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the sandbox)
        threading.Thread(target=shutil.copyfileobj, args=(self.process.stdout, sink), daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text.strip() else None

    def env(self, run_id: str) -> dict[str, str]:
        return {**os.environ, **CREDENTIALS, "CONNECTPSP_BASE_URL": self.url, "BENCH_RUN_ID": run_id}

    def fresh_window(self) -> None:
        """Forget the previous scenario: transactions, request log, balances (generous again)."""
        self.control("POST", "/_sandbox/reset")
        self.control("POST", "/_sandbox/balances", GENEROUS_BALANCES)

    def request_counts(self) -> dict[str, int]:
        """Requests received since the last reset, by "METHOD path status"."""
        log_entries = self.control("GET", "/_sandbox/requests")
        if isinstance(log_entries, dict):  # tolerate {"requests": [...]} as well as a bare list
            log_entries = log_entries.get("requests", [])
        counts: dict[str, int] = {}
        for entry in log_entries:
            key = f"{entry['method']} {entry['path']} {entry['status']}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def token(self) -> tuple[str, str]:
        """A token and its DigitalSignature, fetched like any client does (for wrk)."""
        body = json.dumps(
            {"clientId": CREDENTIALS["CONNECTPSP_CLIENT_ID"], "clientSecret": CREDENTIALS["CONNECTPSP_CLIENT_SECRET"]}
        ).encode()
        request = urllib.request.Request(
            self.url + "/auth/token", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            token = json.loads(response.read())["accessToken"]
        key = CREDENTIALS["CONNECTPSP_CRYPTO_TOKEN"].encode()
        return token, hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


GIL_LATENCY_MS = 20

# Enough for every payout of a run (each is 1.00) many times over.
GENEROUS_BALANCES = {"transactional": "3000000000.00", "proprietary": "3000000000.00"}


def token_calls(counts: dict[str, int]) -> int:
    return sum(n for key, n in counts.items() if key.startswith("POST /auth/token "))


def cash_out_statuses(counts: dict[str, int]) -> dict[str, int]:
    statuses: dict[str, int] = {}
    for key, n in counts.items():
        method, path, status = key.split(" ")
        if method == "POST" and path == "/cash-out":
            statuses[status] = statuses.get(status, 0) + n
    return statuses


# --- running one measurement -------------------------------------------------------------------


def run_json(
    command: list[str], env: dict[str, str], cwd: Path, timeout: int = 240, watch: ThreadCpu | None = None
) -> dict[str, Any]:
    """Run one scenario process; its last stdout line is its JSON result. With `watch`, the CPU
    time of every thread of the process tree is polled while it runs (the profiled runs)."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if watch is not None:
            watch.pid = process.pid
            with watch:
                stdout, stderr = process.communicate(timeout=timeout)
        else:
            stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    if process.returncode != 0:
        # The last line of a traceback (or of node's error) names the failure; the full text
        # goes to the run's log.
        lines = [line.strip() for line in (stderr or stdout).splitlines() if line.strip()]
        log(f"{shlex.join(command)} failed ({process.returncode}):\n" + "\n".join(lines[-12:]))
        cause = next(
            (line for line in reversed(lines) if re.match(r"^[\w.]*(Error|Exception)\b", line)),
            lines[-1] if lines else "",
        )
        raise RuntimeError(f"exit {process.returncode}: {cause}")
    return last_json_line(stdout)


def last_json_line(stdout: str) -> dict[str, Any]:
    """The scenario's result: the last stdout line that is a JSON object (a wrapper such as
    py-spy may print its own lines around it)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise RuntimeError(f"no JSON result on stdout: {stdout.strip()[-200:]!r}")


def measured_in_sandbox(
    sandbox: Sandbox, run_id: str, command: list[str], cwd: Path, latency_ms: int = 0, watch: ThreadCpu | None = None
) -> dict[str, Any]:
    """One client in a fresh sandbox window: its figures plus what the sandbox saw."""
    sandbox.fresh_window()
    if latency_ms:
        # Every cash-out answered `latency_ms` late: the client spends its time waiting on I/O.
        fault = {"method": "POST", "path": "/cash-out", "kind": "latency", "latencyMs": latency_ms, "percent": 100}
        sandbox.control("POST", "/_sandbox/faults", fault)
    try:
        result = run_json(command, sandbox.env(run_id), cwd, watch=watch)
    except (RuntimeError, subprocess.TimeoutExpired) as failure:
        return {"error": str(failure).splitlines()[0][:300]}
    counts = sandbox.request_counts()
    result["token_calls"] = token_calls(counts)
    result["cash_out_statuses"] = cash_out_statuses(counts)
    return result


def rounds_of(
    sandbox: Sandbox, run_id: str, rounds: int, clients: dict[str, tuple[list[str], Path]], latency_ms: int = 0
) -> dict[str, dict[str, Any]]:
    """Every client once per round, the order rotated each round; the median round per client."""
    names = list(clients)
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_index in range(rounds):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        for name in order:
            command, cwd = clients[name]
            log(f"round {round_index + 1}/{rounds}: {name}")
            run = f"{run_id}r{round_index}l{latency_ms}"
            samples[name].append(measured_in_sandbox(sandbox, run, command, cwd, latency_ms))
    return {name: median_round(runs) for name, runs in samples.items()}


def median_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    good = [run for run in runs if "error" not in run]
    if not good:
        return runs[0]
    ordered = sorted(good, key=lambda run: run["throughput"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["rounds"] = len(good)
    chosen["throughput_min"] = ordered[0]["throughput"]
    chosen["throughput_max"] = ordered[-1]["throughput"]
    if len(good) < len(runs):
        chosen["failed_rounds"] = len(runs) - len(good)
        chosen["failed_errors"] = [run["error"] for run in runs if "error" in run]
    return chosen


# --- the load-tool ceiling ---------------------------------------------------------------------


def wrk_ceiling(sandbox: Sandbox, run_id: str, concurrency: int, seconds: int) -> dict[str, Any]:
    sandbox.fresh_window()
    access_token, signature = sandbox.token()
    env = {**sandbox.env(run_id), "BENCH_ACCESS_TOKEN": access_token, "BENCH_DIGITAL_SIGNATURE": signature}
    command = [
        "wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", "--timeout", "30s",
        "-s", str(BENCH / "wrk" / "cashout.lua"), sandbox.url,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        return {"error": f"wrk failed: {done.stderr.strip()[:300]}"}
    result = parse_wrk(done.stdout)
    result["command"] = shlex.join(command[:-3] + ["bench/wrk/cashout.lua", "$URL"])
    counts = sandbox.request_counts()
    result["token_calls"] = token_calls(counts)
    result["cash_out_statuses"] = cash_out_statuses(counts)
    return result


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(output: str) -> dict[str, Any]:
    def latency(pct: str) -> float:
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            raise ValueError(f"no {pct}% latency in wrk output")
        return round(float(match[1]) * UNITS[match[2]], 3)

    requests = re.search(r"^\s*(\d+) requests in ([\d.]+)(ms|s|m)", output, re.M)
    per_second = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)$", output, re.M)
    if not requests or not per_second:
        raise ValueError("unexpected wrk output")
    return {
        "calls": int(requests[1]),
        "throughput": float(per_second[1]),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": socket_errors[1].strip() if socket_errors else "",
    }


# --- the profiled runs --------------------------------------------------------------------------

# Separate from the timed rounds: a sampler slows what it watches, so no ratio comes from here.
PY_SPY_RATE_HZ = 400
NODE_PROF_INTERVAL_US = 250


def per_call(profile: dict[str, Any], calls: int, cpu_us: float | None = None) -> dict[str, Any]:
    """A profile's figures per call (warm-up included). With `cpu_us` (the CPU the sampled
    threads used, from /proc), each category is its share of the samples times that CPU: on a
    loaded machine a sampler also counts the time a runnable thread waits for a core, so the
    raw sampled time overstates the CPU."""
    out = dict(profile)
    busy = profile["busy_us"]
    scale = (cpu_us / busy) if cpu_us and busy else 1.0
    out["calls_profiled"] = calls
    out["scaled_to_cpu"] = bool(cpu_us and busy)
    out["sampled_us_per_call"] = round(busy / calls, 2)
    out["busy_us_per_call"] = round(busy * scale / calls, 2)
    out["categories_us_per_call"] = {k: round(v * scale / calls, 2) for k, v in profile["categories_us"].items()}
    out["top_self_us_per_call"] = [{**row, "us": round(row["us"] * scale / calls, 2)} for row in profile["top_self_us"]]
    return out


def threads_per_call(groups_us: dict[str, float], calls: int) -> dict[str, float]:
    return {name: round(us / calls, 2) for name, us in groups_us.items()}


def node_profile(
    sandbox: Sandbox, run_id: str, client: str, calls: int, concurrency: int, js_dir: Path, work: Path
) -> dict[str, Any]:
    """One `node --cpu-prof` run of a JS client, reduced to categories per call."""
    prof_dir = work / f"node-{client}"
    shutil.rmtree(prof_dir, ignore_errors=True)
    prof_dir.mkdir(parents=True)
    command = [
        "node", "--cpu-prof", "--cpu-prof-dir", str(prof_dir), "--cpu-prof-interval", str(NODE_PROF_INTERVAL_US),
        "scenario.mjs", "async", "--client", client, "--calls", str(calls), "--concurrency", str(concurrency),
    ]  # fmt: skip
    watch = ThreadCpu()
    result = measured_in_sandbox(sandbox, run_id, command, js_dir, watch=watch)
    if "error" in result:
        return result
    profiles = sorted(prof_dir.glob("*.cpuprofile"))
    if not profiles:
        return {"error": f"node --cpu-prof wrote no profile in {prof_dir}"}
    made = int(result["calls"]) + int(result.get("warmup", 0))
    threads = watch.groups_us()
    # The V8 profile samples the main thread only: its shares are scaled to that thread's CPU.
    summary = per_call(categorize_cpuprofile(json.loads(profiles[-1].read_text())), made, threads.get("main thread"))
    summary.update(
        tool=f"main thread, {NODE_PROF_INTERVAL_US} µs sampling",
        command=shlex.join(["node", "--cpu-prof", *command[4:]]),
        threads_cpu_us_per_call=threads_per_call(threads, made),
        throughput_profiled=result.get("throughput"),
    )
    return summary


def python_profile(
    sandbox: Sandbox, run_id: str, py: str, client: str, calls: int, concurrency: int, py_dir: Path, work: Path
) -> dict[str, Any]:
    """One py-spy (--native) run of a Python async client, reduced to categories per call."""
    py_spy = Path(py).parent / "py-spy"
    if not py_spy.exists():
        found = shutil.which("py-spy")
        if not found:
            return {"error": "py-spy not found (bench/requirements.txt installs it in the bench venv)"}
        py_spy = Path(found)
    raw = work / f"py-{client}.txt"
    raw.unlink(missing_ok=True)
    scenario = [py, "scenario.py", "async", "--client", client, "--calls", str(calls), "--concurrency", str(concurrency)]
    command = [
        str(py_spy), "record", "--native", "--format", "raw", "--rate", str(PY_SPY_RATE_HZ),
        "--output", str(raw), "--", *scenario,
    ]  # fmt: skip
    watch = ThreadCpu(skip_root=True)  # the python process and its threads, not py-spy's own
    result = measured_in_sandbox(sandbox, run_id, command, py_dir, watch=watch)
    if "error" in result:
        return result
    if not raw.exists():
        return {"error": f"py-spy wrote no output ({raw})"}
    made = int(result["calls"]) + int(result.get("warmup", 0))
    threads = watch.groups_us()
    # py-spy samples every thread with a Python thread state (the main thread and, since they
    # hold one for life, the connectpsp-io workers): scaled to the whole process's CPU.
    summary = per_call(categorize_pyspy_raw(raw.read_text(), PY_SPY_RATE_HZ), made, sum(threads.values()) or None)
    summary.update(
        tool=f"threads with a Python thread state, {PY_SPY_RATE_HZ} Hz",
        command=shlex.join(["py-spy", "record", "--native", "--format", "raw", "--", "python", *scenario[1:]]),
        threads_cpu_us_per_call=threads_per_call(threads, made),
        throughput_profiled=result.get("throughput"),
    )
    return summary


# --- footprint and micro-benchmarks --------------------------------------------------------------


def wheel_footprint(wheel_dir: Path) -> dict[str, Any]:
    wheels = sorted(wheel_dir.glob("connectpsp-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        return {"error": f"no connectpsp wheel in {wheel_dir}"}
    wheel = wheels[-1]
    return {"wheel": wheel.name, "wheel_bytes": wheel.stat().st_size}


def wasm_footprint(npm_dir: Path) -> dict[str, Any]:
    """raw = wasm-bindgen's output before wasm-opt; optimised = the .wasm shipped in the npm
    tarball; gzip = that file at gzip -9 (what a CDN or a bundle would carry)."""
    tarballs = sorted(npm_dir.glob("connectpsp-*.tgz"), key=lambda p: p.stat().st_mtime)
    if not tarballs:
        return {"error": f"no connectpsp-*.tgz in {npm_dir}"}
    result: dict[str, Any] = {"tarball": tarballs[-1].name, "tarball_bytes": tarballs[-1].stat().st_size}
    with tarfile.open(tarballs[-1]) as tar:
        wasm_members = [m for m in tar.getmembers() if m.name.endswith(".wasm")]
        if not wasm_members:
            return {**result, "error": "no .wasm in the npm tarball"}
        # Several builds (node, web) may ship; they are the same module: report the largest.
        member = max(wasm_members, key=lambda m: m.size)
        data = tar.extractfile(member).read()  # type: ignore[union-attr]
    result.update(
        wasm_file=member.name.removeprefix("package/"),
        wasm_files=len(wasm_members),
        wasm_opt_bytes=len(data),
        wasm_gzip_bytes=len(gzip.compress(data, 9, mtime=0)),
    )
    # wasm-bindgen's output as mk/wasm.mk staged it; otherwise run wasm-bindgen on cargo's module.
    staged = ROOT / "bindings-wasm" / "pkg" / ".stage" / "web" / "connectpsp_wasm_bg.wasm"
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    cargo_wasm = target / "wasm32-unknown-unknown" / "release-wasm" / "connectpsp_wasm.wasm"
    bindgen = shutil.which("wasm-bindgen")
    raw: bytes | None = None
    if staged.exists():
        raw = staged.read_bytes()
    elif cargo_wasm.exists() and bindgen:
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([bindgen, "--target", "web", "--out-dir", out, str(cargo_wasm)], check=True)
            raw = next(Path(out).glob("*_bg.wasm")).read_bytes()
    if raw is not None:
        result["wasm_raw_bytes"] = len(raw)
        result["wasm_raw_gzip_bytes"] = len(gzip.compress(raw, 9, mtime=0))
    return result


def child_cpu_ms(command: list[str], cwd: Path) -> float:
    """User + system CPU of one fresh process, from its rusage (not disturbed by waiting for a core)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} exited {process.returncode}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def startup_cpu(python: str, py_dir: Path, js_dir: Path, repeat: int) -> dict[str, Any]:
    """CPU a fresh process spends on `import connectpsp` / `require('connectpsp')` / `import()`,
    above an empty one (median of `repeat`, interleaved). On a loaded machine the wall-clock
    medians of scenario.py/scenario.mjs include the time spent waiting for a core; this does not."""
    probes = {
        "python_empty": [python, "-c", "pass"],
        "python_import": [python, "-c", "import connectpsp"],
        "node_empty": ["node", "-e", ""],
        "node_require": ["node", "-e", "require('connectpsp').idempotencyKeyFor('bench')"],
        "node_import": ["node", "--input-type=module", "-e", "(await import('connectpsp')).idempotencyKeyFor('bench')"],
    }
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(repeat):
        for name, command in probes.items():
            samples[name].append(child_cpu_ms(command, py_dir if name.startswith("python") else js_dir))
    median = {name: sorted(values)[len(values) // 2] for name, values in samples.items()}
    return {
        "python_import_cpu_ms": round(median["python_import"] - median["python_empty"], 2),
        "node_require_cpu_ms": round(median["node_require"] - median["node_empty"], 2),
        "node_import_cpu_ms": round(median["node_import"] - median["node_empty"], 2),
        "repeat": repeat,
    }


def criterion(quick: bool) -> dict[str, Any]:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    shutil.rmtree(target / "criterion", ignore_errors=True)  # only this run's figures
    timing = ["--warm-up-time", "1", "--measurement-time", "1" if quick else "3"]
    command = ["cargo", "bench", "--quiet", "-p", "connectpsp-core", "--bench", "core", "--", *timing]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return {"error": f"cargo bench failed: {done.stderr.strip().splitlines()[-1:]}", "command": shlex.join(command)}
    benches = []
    for estimates in sorted(glob.glob(str(target / "criterion" / "**" / "new" / "estimates.json"), recursive=True)):
        folder = Path(estimates).parent
        meta = json.loads((folder / "benchmark.json").read_text())
        figures = json.loads(Path(estimates).read_text())
        benches.append(
            {
                "name": meta.get("full_id") or meta.get("title"),
                "median_ns": figures["median"]["point_estimate"],
                "low_ns": figures["median"]["confidence_interval"]["lower_bound"],
                "high_ns": figures["median"]["confidence_interval"]["upper_bound"],
            }
        )
    if not benches:
        return {"error": "cargo bench ran but left no criterion estimates", "command": shlex.join(command)}
    return {"command": shlex.join(command), "benches": benches}


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )

    def version(*command: str) -> str:
        try:  # first line of whatever it prints: `wrk --version` exits 1 after its banner
            done = subprocess.run(command, capture_output=True, text=True)
            return (done.stdout + done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
        "python": version(sys.executable, "--version"),
        "node": version("node", "--version"),
        "rustc": version("rustc", "--version"),
        "wrk": version("wrk", "--version"),
    }


# --- the run -----------------------------------------------------------------------------------


PARTS = ("footprint", "criterion", "ceiling", "js", "py-async", "py-sync", "rss", "py-threads", "py-gil", "profile")


class Timings:
    """Wall time and the 1-minute load average of each part: where the run's minutes go, and
    how busy the shared machine was during each measurement."""

    def __init__(self) -> None:
        self.parts: list[dict[str, Any]] = []

    def part(self, name: str) -> Any:
        timings = self

        class Part:
            def __enter__(self) -> None:
                self.started = time.monotonic()
                self.load = os.getloadavg()[0]
                log(f"{name} (load average {self.load:.2f})")

            def __exit__(self, *_: object) -> None:
                timings.parts.append(
                    {"part": name, "seconds": round(time.monotonic() - self.started, 1), "load_1m_at_start": self.load}
                )

        return Part()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sandbox-bin", required=True)
    parser.add_argument("--python", default=sys.executable, help="the bench venv's interpreter (SDK + peers)")
    parser.add_argument("--wheel-dir", default=str(ROOT / "dist"))
    parser.add_argument("--npm-dir", default=str(ROOT / "dist"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--settle-delay-ms", type=int, default=int(os.environ.get("BENCH_SETTLE_DELAY_MS", "1000")))
    parser.add_argument(
        "--alt-python", default="", help="an interpreter with a candidate SDK build, run as one more async client"
    )
    parser.add_argument(
        "--alt-node-dir", default="", help="a copy of bench/js with a candidate npm build, run as one more JS client"
    )
    parser.add_argument("--quick", action="store_true", help="small counts: checks the pipeline, not the speed")
    parser.add_argument("--only", default="", help="comma list of parts: " + ",".join(PARTS))
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument(
        "--results",
        default=str(Path(os.environ.get("CACHE", Path.home() / ".cache/connectpsp")) / "bench-results.json"),
    )
    parser.add_argument("--command", default="make bench", help="the command recorded in the report")
    parser.add_argument("--build-seconds", type=float, default=None, help="wall time of the builds before (make)")
    args = parser.parse_args()

    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    only = {part for part in args.only.split(",") if part}
    unknown = only - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; parts: {', '.join(PARTS)}")
    wanted = lambda part: not only or part in only  # noqa: E731
    quick = args.quick
    n_async, n_sync, n_rss = (300, 150, 500) if quick else (5000, 2000, 10000)
    # The httpx async peer runs at a few hundred calls/s (its pool scans every connection per
    # request): fewer calls keep the run short; its throughput is a rate all the same.
    n_httpx_async = n_async if quick else 2000
    # Profiled runs: long enough for a few thousand samples on a quiet machine.
    n_prof_py, n_prof_js = (600, 600) if quick else (20000, 10000)
    c = args.concurrency
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    py, py_dir, js_dir = args.python, BENCH / "python", BENCH / "js"
    started = time.monotonic()
    timings = Timings()

    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": args.command,
        # The runner's own argument list, paths relative to the repository where possible.
        "argv": "python bench/run.py " + shlex.join(relative_args(sys.argv[1:])),
        "machine": machine(),
        "settings": {
            "rounds": args.rounds,
            "concurrency": c,
            "settle_delay_ms": args.settle_delay_ms,
            "gil_latency_ms": GIL_LATENCY_MS,
            "calls": {
                "async": n_async, "httpx_async": n_httpx_async, "sync": n_sync, "threads": n_sync,
                "rss_per_run": n_rss, "profile_python": n_prof_py, "profile_js": n_prof_js,
            },
            "quick": quick,
        },
    }  # fmt: skip

    if wanted("footprint"):
        with timings.part("footprint"):
            footprint: dict[str, Any] = {**wheel_footprint(Path(args.wheel_dir)), **wasm_footprint(Path(args.npm_dir))}
            try:
                footprint["python_import"] = run_json(
                    [py, "scenario.py", "import", "--repeat", "5" if quick else "21"], dict(os.environ), py_dir
                )
            except (RuntimeError, subprocess.TimeoutExpired) as failure:
                footprint["python_import"] = {"error": str(failure)[:300]}
            try:
                footprint["node_load"] = run_json(
                    ["node", "scenario.mjs", "load", "--repeat", "5" if quick else "21"], dict(os.environ), js_dir
                )
            except (RuntimeError, subprocess.TimeoutExpired) as failure:
                footprint["node_load"] = {"error": str(failure)[:300]}
            try:
                footprint["startup_cpu"] = startup_cpu(py, py_dir, js_dir, 5 if quick else 11)
            except (RuntimeError, OSError) as failure:
                footprint["startup_cpu"] = {"error": str(failure)[:300]}
            results["footprint"] = footprint

    if wanted("criterion"):
        with timings.part("criterion (cargo bench -p connectpsp-core)"):
            results["criterion"] = criterion(quick)

    with Sandbox(args.sandbox_bin, args.settle_delay_ms, Path(args.results).with_suffix(".sandbox.log")) as sandbox:
        log(f"sandbox at {sandbox.url}")
        scenarios: dict[str, Any] = {}
        results["scenarios"] = scenarios
        if wanted("ceiling"):
            with timings.part("ceiling: wrk"):
                ceiling = [wrk_ceiling(sandbox, f"{run_id}w{i}", c, 2 if quick else 5) for i in range(args.rounds)]
                scenarios["ceiling"] = {"wrk": median_round(ceiling)}
        if wanted("js"):
            with timings.part("js: async rounds"):
                clients = {
                    name: (["node", "scenario.mjs", "async", "--client", name, "--calls", str(n_async), "--concurrency", str(c)], js_dir)
                    for name in ("sdk", "fetch", "undici", "http")
                }  # fmt: skip
                if args.alt_node_dir:
                    # A copy of bench/js whose node_modules holds a candidate build of the package.
                    clients["sdk_alt"] = (clients["sdk"][0], Path(args.alt_node_dir))
                scenarios["js_async"] = rounds_of(sandbox, run_id, args.rounds, clients)
            with timings.part("js core: the wasm core's own CPU per payout, no network"):
                # The median of three runs: one is easily hit by a neighbour's build.
                core_runs = []
                for _ in range(1 if quick else 3):
                    try:
                        core_runs.append(run_json(
                            ["node", "scenario.mjs", "core", "--calls", "2000" if quick else "20000"], dict(os.environ), js_dir
                        ))  # fmt: skip
                    except (RuntimeError, subprocess.TimeoutExpired) as failure:
                        core_runs.append({"error": str(failure)[:300]})
                scenarios["js_core"] = median_by(core_runs, "cpu_us_per_call")
        if wanted("py-async"):
            with timings.part("py-async rounds"):
                clients = {
                    name: ([py, "scenario.py", "async", "--client", name, "--calls",
                            str(n_httpx_async if name == "httpx" else n_async), "--concurrency", str(c)], py_dir)
                    for name in ("sdk", "aiohttp", "httpx")
                }  # fmt: skip
                if args.alt_python:
                    # A candidate build of the SDK measured in the same rounds (before/after of a fix).
                    clients["sdk_alt"] = ([args.alt_python, *clients["sdk"][0][1:]], py_dir)
                scenarios["py_async"] = rounds_of(sandbox, run_id, args.rounds, clients)
        if wanted("py-sync"):
            with timings.part("py-sync rounds"):
                scenarios["py_sync"] = rounds_of(sandbox, run_id, args.rounds, {
                    name: ([py, "scenario.py", "sync", "--client", name, "--calls", str(n_sync)], py_dir)
                    for name in ("sdk", "requests", "httpx")
                })  # fmt: skip
        if wanted("rss"):
            with timings.part("rss: one client, three runs, each language"):
                scenarios["rss"] = {
                    "python": measured_in_sandbox(sandbox, f"{run_id}rss", [py, "scenario.py", "rss", "--calls", str(n_rss), "--concurrency", str(c)], py_dir),
                    "node": measured_in_sandbox(sandbox, f"{run_id}rss", ["node", "--expose-gc", "scenario.mjs", "rss", "--calls", str(n_rss), "--concurrency", str(c)], js_dir),
                }  # fmt: skip
        if wanted("py-threads"):
            with timings.part("py-threads rounds"):
                scenarios["py_threads"] = rounds_of(sandbox, run_id, args.rounds, {
                    name: ([py, "scenario.py", "threads", "--client", name, "--calls", str(n_sync), "--threads", "8"], py_dir)
                    for name in ("sdk", "requests", "httpx")
                })  # fmt: skip
        if wanted("py-gil"):
            with timings.part("py-gil: 20 ms server latency, 1 vs 8 threads"):
                # With the server 20 ms slow, a client whose waiting holds the GIL gains nothing
                # from 8 threads; one that releases it approaches 8x.
                n_gil = 40 if quick else 100
                scenarios["py_gil_1"] = rounds_of(sandbox, run_id, 1, {
                    name: ([py, "scenario.py", "sync", "--client", name, "--calls", str(n_gil), "--warmup", "4"], py_dir)
                    for name in ("sdk", "requests", "httpx")
                }, latency_ms=GIL_LATENCY_MS)  # fmt: skip
                scenarios["py_gil_8"] = rounds_of(sandbox, run_id, 1, {
                    name: ([py, "scenario.py", "threads", "--client", name, "--calls", str(8 * n_gil), "--threads", "8"], py_dir)
                    for name in ("sdk", "requests", "httpx")
                }, latency_ms=GIL_LATENCY_MS)  # fmt: skip
        if wanted("profile"):
            # Last, after every timed measurement: the samplers' overhead touches no ratio.
            work = Path(args.results).parent / "bench-profiles"
            with timings.part("profile: node --cpu-prof (SDK, undici peer)"):
                scenarios["profile_js"] = {
                    client: node_profile(sandbox, f"{run_id}p", client, n_prof_js, c, js_dir, work)
                    for client in ("sdk", "undici")
                }
            with timings.part("profile: py-spy --native (AsyncClient, aiohttp peer)"):
                scenarios["profile_py"] = {
                    client: python_profile(sandbox, f"{run_id}p", py, client, n_prof_py, c, py_dir, work)
                    for client in ("sdk", "aiohttp")
                }

    results["timings"] = timings.parts
    if args.build_seconds is not None:
        results["build_seconds"] = args.build_seconds
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    results["duration_s"] = round(time.monotonic() - started, 1)
    Path(args.results).write_text(json.dumps(results, indent=2))
    Path(args.out).write_text(report.render(results))
    log(f"wrote {args.out} and {args.results} in {results['duration_s']} s")


def median_by(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The run with the median `key` among those that did not fail, and the spread."""
    good = sorted((run for run in runs if "error" not in run and key in run), key=lambda run: run[key])
    if not good:
        return runs[0] if runs else {"error": "not run"}
    chosen = dict(good[(len(good) - 1) // 2])
    chosen["runs"] = len(good)
    chosen[f"{key}_min"], chosen[f"{key}_max"] = good[0][key], good[-1][key]
    return chosen


def relative_args(argv: list[str]) -> list[str]:
    """Paths under the repository shown relative to it, the cache shown as $CACHE."""
    cache = os.environ.get("CACHE", "")
    out = []
    for arg in argv:
        if arg.startswith(str(ROOT) + os.sep):
            arg = os.path.relpath(arg, ROOT)
        elif cache and arg.startswith(cache.rstrip("/") + "/"):
            arg = "$CACHE/" + arg[len(cache.rstrip("/")) + 1 :]
        out.append(arg)
    return out


if __name__ == "__main__":
    main()
