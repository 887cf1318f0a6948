"""Shared fixtures: one embedded sandbox per test session, fresh clients per test, and the
shared test vectors of testdata/."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest

import connectpsp
from connectpsp.testing import Sandbox

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"


def vectors(name: str) -> Any:
    """A JSON file of testdata/ (shared with the Rust and JS tests)."""
    return json.loads((TESTDATA / name).read_text(encoding="utf-8"))


def reference(prefix: str = "py") -> str:
    """A unique externalReference (the sandbox refuses duplicates, as the API does)."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


PAYER = {"name": "João Silva", "document": "12345678909"}
PAYEE = {
    "name": "Maria Silva",
    "document": "12345678909",
    "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"},
}


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    # Payouts settle only when a test says so, so statuses are deterministic.
    with Sandbox(auto_settle=False, seed=7) as sb:
        yield sb


@pytest.fixture(autouse=True)
def _clean_faults(sandbox: Sandbox) -> Iterator[None]:
    yield
    sandbox.clear_faults()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[connectpsp.Client]:
    with sandbox.client(timeout=5.0) as c:
        yield c


@pytest.fixture
async def aclient(sandbox: Sandbox) -> AsyncIterator[connectpsp.AsyncClient]:
    async with sandbox.async_client(timeout=5.0) as c:
        yield c


class RequestWindow:
    """The sandbox requests logged since the window opened."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.start = sandbox.last_request_seq()

    def requests(self) -> list[dict[str, Any]]:
        return self.sandbox.requests(since=self.start)

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests() if r["method"] == method and r["path"] == path)


@pytest.fixture
def window(sandbox: Sandbox) -> RequestWindow:
    return RequestWindow(sandbox)
