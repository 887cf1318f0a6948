// The OpenTelemetry example (examples/js/otel_tracing.mjs) on the SDK's events: spans per call
// and per attempt, checked with the SDK's in-memory exporter against the sandbox.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

import { esm, ROOT, startSandbox } from "./helpers.mjs";

const { instrument } = await import(pathToFileURL(join(ROOT, "examples", "js", "otel_tracing.mjs")).href);

let sandbox;
before(async () => {
  sandbox = await startSandbox(["--manual-settle"]);
});
after(() => sandbox?.stop());

const parentOf = (span) => span.parentSpanContext?.spanId ?? span.parentSpanId;

test("one span per call, one child per attempt, with the retry and no personal data", async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const client = new esm.ConnectPSP(sandbox.options({ logger: null, maxRetries: 2 }));
  const stop = instrument(client, provider.getTracer("test"));
  await sandbox.fault({ method: "POST", path: "/cash-out", kind: "status", status: 503, count: 1 });
  const out = await client.cashOut.create({
    amount: "5.00",
    externalReference: `otel-${process.pid}-${Date.now()}`,
    payee: { name: "Maria Silva", document: "12345678909", destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" } },
  });
  const spans = exporter.getFinishedSpans();
  const call = spans.find((s) => s.name === "connectpsp cashOut.create");
  assert.ok(call, spans.map((s) => s.name).join(", "));
  const children = spans.filter((s) => parentOf(s) === call.spanContext().spanId);
  assert.deepEqual(
    children.map((s) => [s.name, s.attributes["connectpsp.attempt"], s.attributes["http.response.status_code"], s.attributes["connectpsp.will_retry"]]),
    [
      ["POST /auth/token", 1, 200, false],
      ["POST /cash-out", 1, 503, true],
      ["POST /cash-out", 2, 202, false],
    ],
  );
  assert.equal(children[1].attributes["connectpsp.idempotency_key"], out.response.idempotencyKey);
  assert.equal(call.attributes["connectpsp.outcome_unknown"], false);
  const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes })));
  for (const secret of Object.values(sandbox.credentials)) assert.ok(!text.includes(secret));
  assert.ok(!text.includes("12345678909") && !text.includes("Maria"));

  stop();
  await client.account.balance();
  assert.equal(exporter.getFinishedSpans().length, spans.length, "spans after stop()");
  await provider.shutdown();
  await client.close();
});
