"""Fixtures of the reliability tests: a sandbox process per test, clients bound to it, and
small local HTTP servers for the transport tests (a 302, an oversize body)."""

from __future__ import annotations

import os
import sys
from typing import Any, Iterator

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sandbox_process import SandboxProcess  # noqa: E402

import connectpsp  # noqa: E402


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(seed=3, settle_delay_ms=20, extra_args=("--webhook-retry-ms", "100")) as sb:
        yield sb


def client_kwargs(sb: SandboxProcess, **overrides: Any) -> dict[str, Any]:
    c = sb.credentials
    kwargs: dict[str, Any] = {
        "client_id": c.client_id,
        "client_secret": c.client_secret,
        "application_token": c.application_token,
        "crypto_token": c.crypto_token,
        "base_url": sb.base_url,
        "timeout": 2.0,
    }
    kwargs.update(overrides)
    return kwargs


@pytest.fixture
def client(sandbox: SandboxProcess) -> Iterator[connectpsp.Client]:
    with connectpsp.Client(**client_kwargs(sandbox)) as c:
        yield c
