// OpenTelemetry tracing on top of the SDK's events: one span per call (`connectpsp
// cashOut.create`) and one child span per HTTP attempt (`POST /cash-out`, token exchanges
// included), with the attempt, the status, the request id, whether the SDK retried and whether
// the outcome was unknown. The events carry no body, secret or personal data, so neither do
// the spans. Use it with any tracer provider (OTLP, Jaeger…); run it as a script to print the
// spans of one payout:
//
//   export CONNECTPSP_BASE_URL=http://127.0.0.1:8080 CONNECTPSP_CLIENT_ID=... (the sandbox's)
//   node examples/js/otel_tracing.mjs
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";

import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ConnectPSP } from "connectpsp";

/**
 * Traces every call of `client` with `tracer`.
 * @param {ConnectPSP} client
 * @param {import("@opentelemetry/api").Tracer} tracer
 * @returns {() => void} stops tracing
 */
export function instrument(client, tracer) {
  /** @type {Map<number, { span: import("@opentelemetry/api").Span, attempts: Map<string, import("@opentelemetry/api").Span> }>} */
  const calls = new Map();

  /** @param {import("connectpsp").RequestEvent} event */
  const onRequest = (event) => {
    let call = calls.get(event.callId);
    if (call === undefined) {
      const span = tracer.startSpan(`connectpsp ${event.call}`, { kind: SpanKind.CLIENT });
      call = { span, attempts: new Map() };
      calls.set(event.callId, call);
    }
    const parent = trace.setSpan(context.active(), call.span);
    const attempt = tracer.startSpan(
      `${event.method} ${event.path}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "http.request.method": event.method,
          "url.template": event.path,
          "connectpsp.call": event.call,
          "connectpsp.purpose": event.purpose,
          "connectpsp.attempt": event.attempt,
          ...(event.idempotencyKey ? { "connectpsp.idempotency_key": event.idempotencyKey } : {}),
        },
      },
      parent,
    );
    call.attempts.set(`${event.purpose}:${event.attempt}`, attempt);
  };

  /** @param {import("connectpsp").ResponseEvent} event */
  const onResponse = (event) => {
    const call = calls.get(event.callId);
    const key = `${event.purpose}:${event.attempt}`;
    const attempt = call?.attempts.get(key);
    if (call === undefined || attempt === undefined) return;
    call.attempts.delete(key);
    if (event.status !== null) attempt.setAttribute("http.response.status_code", event.status);
    if (event.requestId !== null) attempt.setAttribute("connectpsp.request_id", event.requestId);
    if (event.failure !== null) attempt.setAttribute("error.type", event.failure);
    attempt.setAttribute("connectpsp.will_retry", event.willRetry);
    attempt.setAttribute("connectpsp.outcome_unknown", event.outcomeUnknown);
    const failed = event.failure !== null || (event.status !== null && event.status >= 400);
    if (failed) attempt.setStatus({ code: SpanStatusCode.ERROR });
    attempt.end();
    // The API attempt the SDK will not repeat ends the call (a token exchange never does).
    if (event.purpose === "api" && !event.willRetry) {
      if (failed) call.span.setStatus({ code: SpanStatusCode.ERROR });
      call.span.setAttribute("connectpsp.outcome_unknown", event.outcomeUnknown);
      call.span.end();
      calls.delete(event.callId);
    }
  };

  client.on("request", onRequest).on("response", onResponse);
  return () => {
    client.off("request", onRequest).off("response", onResponse);
  };
}

// As a script: one payout against the sandbox, its spans printed by a console exporter.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
  const env = process.env;
  const client = new ConnectPSP({
    clientId: env.CONNECTPSP_CLIENT_ID,
    clientSecret: env.CONNECTPSP_CLIENT_SECRET,
    applicationToken: env.CONNECTPSP_APPLICATION_TOKEN,
    cryptoToken: env.CONNECTPSP_CRYPTO_TOKEN,
    baseUrl: env.CONNECTPSP_BASE_URL ?? ConnectPSP.STAGING,
  });
  instrument(client, provider.getTracer("connectpsp-example"));
  const payout = await client.cashOut.create({
    amount: "10.00",
    externalReference: `otel-${randomUUID().slice(0, 12)}`,
    payee: {
      name: "Maria Silva",
      document: "12345678909",
      destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
    },
  });
  console.log(`cash-out ${payout.transactionId}: ${payout.status}`);
  await provider.shutdown();
  await client.close();
}
