"""examples/python/otel_tracing.py, run against the sandbox with OpenTelemetry's in-memory
exporter: one span per call, a child span per attempt, parented under the caller's span."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PAYEE, reference

from connectpsp.testing import Sandbox

pytest.importorskip("opentelemetry.sdk")
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "otel_tracing.py"


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("otel_tracing", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["otel_tracing"] = module
    spec.loader.exec_module(module)
    return module


def test_spans_per_call_and_attempt(sandbox: Sandbox) -> None:
    example = load_example()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    sandbox.inject_faults(kind="status", status=503, method="POST", path="/cash-out", count=1)
    with sandbox.client(event_hooks=example.Tracing(tracer).hooks()) as client:
        with tracer.start_as_current_span("checkout") as parent:
            payout = client.cash_out.create(amount="1.00", external_reference=reference("otel"), payee=PAYEE)
            client.cash_out.get(payout.transaction_id)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {
        "checkout",
        "connectpsp POST /cash-out",
        "POST /cash-out attempt 1",
        "POST /cash-out attempt 2",
        "connectpsp GET /cash-out/{id}",
        "GET /cash-out/{id} attempt 1",
    }, sorted(spans)
    call = spans["connectpsp POST /cash-out"]
    assert call.parent is not None and call.parent.span_id == parent.get_span_context().span_id
    for name in ("POST /cash-out attempt 1", "POST /cash-out attempt 2"):
        attempt = spans[name]
        assert attempt.parent is not None and attempt.parent.span_id == call.context.span_id
    first = dict(spans["POST /cash-out attempt 1"].attributes or {})
    assert first["http.response.status_code"] == 503 and first["connectpsp.will_retry"] is True
    attributes = dict(call.attributes or {})
    assert attributes["connectpsp.idempotency_key"] == payout.idempotency_key
    assert attributes["connectpsp.attempts"] == 2
    assert attributes["connectpsp.outcome_unknown"] is False
    assert not any("12345678909" in str(v) or "Maria" in str(v) for s in spans.values() for v in (s.attributes or {}).values())
    assert spans["connectpsp GET /cash-out/{id}"].parent.span_id == parent.get_span_context().span_id  # type: ignore[union-attr]
