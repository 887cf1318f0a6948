"""Fixtures for running the examples and the demo against a real sandbox process."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/connectpsp/target"))
SANDBOX_BIN = Path(os.environ.get("CONNECTPSP_SANDBOX_BIN", TARGET_DIR / "debug/connectpsp-sandbox"))


class Sandbox:
    """A sandbox binary on a free port; `env` holds what the examples read."""

    def __init__(self) -> None:
        if not SANDBOX_BIN.exists():
            pytest.fail(f"no sandbox binary at {SANDBOX_BIN}: run `make sandbox-bin`")
        # Fresh random credentials per sandbox: nothing depends on the documented defaults, and a
        # secret leaking into an example's output can be searched for.
        self.env: dict[str, str] = {
            "CONNECTPSP_CLIENT_ID": "examples-client",
            "CONNECTPSP_CLIENT_SECRET": str(uuid.uuid4()),
            "CONNECTPSP_APPLICATION_TOKEN": str(uuid.uuid4()),
            "CONNECTPSP_CRYPTO_TOKEN": f"crypto-{uuid.uuid4()}",
        }
        self.process = subprocess.Popen(
            [
                str(SANDBOX_BIN),
                "--port",
                "0",
                "--client-id",
                self.env["CONNECTPSP_CLIENT_ID"],
                "--client-secret",
                self.env["CONNECTPSP_CLIENT_SECRET"],
                "--application-token",
                self.env["CONNECTPSP_APPLICATION_TOKEN"],
                "--crypto-token",
                self.env["CONNECTPSP_CRYPTO_TOKEN"],
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 15
        # The first line, once it listens, is CONNECTPSP_SANDBOX_URL=http://127.0.0.1:PORT.
        while "CONNECTPSP_SANDBOX_URL" not in self.env:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the sandbox exited early (code {self.process.poll()})")
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not print its URL within 15 s")
            key, sep, value = line.strip().partition("=")
            if sep and key == "CONNECTPSP_SANDBOX_URL":
                self.env[key] = value
        self.url = self.env["CONNECTPSP_SANDBOX_URL"]
        self.env["CONNECTPSP_BASE_URL"] = self.url
        # Keep reading its output, or a full pipe would eventually block the sandbox.
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line)
            del self.log[:-200]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox per test: the examples' balances and references never interfere."""
    sb = Sandbox()
    try:
        yield sb
    finally:
        sb.stop()
