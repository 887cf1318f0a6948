"""OpenTelemetry tracing on top of the SDK's event hooks: one span per call, one child span per
HTTP attempt (retries show up as siblings), nothing but the call's shape in the attributes.

    pip install opentelemetry-sdk
    export CONNECTPSP_BASE_URL=... CONNECTPSP_CLIENT_ID=... (see quickstart.py)
    python examples/python/otel_tracing.py          # prints the spans to the console

The hooks run in the caller's context, so the call span is a child of whatever span is current
where the call is made (a web request's span, say). Attributes follow the OpenTelemetry HTTP
conventions where one exists; the idempotency key is recorded because it is what reconciles an
unknown outcome, and it is not personal data.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Any, Callable, Optional

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer

import connectpsp


class Tracing:
    """``event_hooks=Tracing(tracer).hooks()``: spans for every call of that client."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        # call_id -> (call span, current attempt span)
        self._open: dict[int, tuple[Span, Optional[Span]]] = {}

    def hooks(self) -> dict[str, list[Callable[[Any], None]]]:
        return {"request": [self.on_request], "response": [self.on_response]}

    def on_request(self, event: connectpsp.RequestEvent) -> None:
        name = f"{event.method} {event.path}"
        if event.call_id not in self._open:
            call = self.tracer.start_span(f"connectpsp {name}", kind=trace.SpanKind.CLIENT)
            call.set_attribute("http.request.method", event.method)
            call.set_attribute("url.template", event.path)
            if event.idempotency_key:
                call.set_attribute("connectpsp.idempotency_key", event.idempotency_key)
            self._open[event.call_id] = (call, None)
        call, _ = self._open[event.call_id]
        attempt = self.tracer.start_span(
            f"{name} attempt {event.attempt}", context=trace.set_span_in_context(call), kind=trace.SpanKind.CLIENT
        )
        attempt.set_attribute("http.request.resend_count", event.attempt - 1)
        self._open[event.call_id] = (call, attempt)

    def on_response(self, event: connectpsp.ResponseEvent) -> None:
        entry = self._open.get(event.call_id)
        if entry is None:
            return
        call, attempt = entry
        if attempt is not None:
            if event.status is not None:
                attempt.set_attribute("http.response.status_code", event.status)
            if event.failure:
                attempt.set_attribute("error.type", event.failure)
            if event.request_id:
                attempt.set_attribute("connectpsp.request_id", event.request_id)
            attempt.set_attribute("connectpsp.will_retry", event.will_retry)
            if event.failure or (event.status or 0) >= 400:
                attempt.set_status(Status(StatusCode.ERROR))
            attempt.end()
        self._open[event.call_id] = (call, None)
        if not event.will_retry:
            call.set_attribute("connectpsp.attempts", event.attempt)
            call.set_attribute("connectpsp.outcome_unknown", event.outcome_unknown)
            if event.status is not None:
                call.set_attribute("http.response.status_code", event.status)
            if event.outcome_unknown or event.failure or (event.status or 0) >= 400:
                call.set_status(Status(StatusCode.ERROR))
            call.end()
            del self._open[event.call_id]


def main() -> int:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    tracing = Tracing(provider.get_tracer("connectpsp-example"))
    client = connectpsp.Client(
        client_id=os.environ["CONNECTPSP_CLIENT_ID"],
        client_secret=os.environ["CONNECTPSP_CLIENT_SECRET"],
        application_token=os.environ["CONNECTPSP_APPLICATION_TOKEN"],
        crypto_token=os.environ["CONNECTPSP_CRYPTO_TOKEN"],
        base_url=os.environ.get("CONNECTPSP_BASE_URL", connectpsp.STAGING),
        event_hooks=tracing.hooks(),
    )
    with provider.get_tracer("connectpsp-example").start_as_current_span("checkout"):
        charge = client.cash_in.create(
            amount="25.00",
            external_reference=f"otel-{uuid.uuid4().hex[:12]}",
            payer={"name": "João Silva", "document": "12345678909"},
        )
        client.cash_in.get(charge.transaction_id)
    provider.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
