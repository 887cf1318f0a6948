// One HTTP attempt with `fetch`: browsers, Deno, edge runtimes, and any `fetch` the caller
// passes in the options (which overrides the Node transport).

import {
  concat,
  maxResponseBytes,
  networkFailure,
  timerMs,
  type AttemptResult,
  type SendStep,
  type Transport,
} from "./http.js";

/** The fetch signature the transport relies on (the global fetch and undici's both fit). */
export type FetchFunction = (url: string, init: Record<string, unknown>) => Promise<FetchResponse>;

interface FetchResponse {
  status: number;
  type?: string;
  headers: { forEach(callback: (value: string, name: string) => void): void; get(name: string): string | null };
  body: { getReader(): StreamReader } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

interface StreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

export function fetchTransport(fetchFn: FetchFunction): Transport {
  return { send: (step, signal) => attempt(fetchFn, step, signal), close: async () => undefined };
}

async function attempt(fetchFn: FetchFunction, step: SendStep, callerSignal: AbortSignal | undefined): Promise<AttemptResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timerMs(step.timeoutMs));
  const onCancel = (): void => controller.abort();
  callerSignal?.addEventListener("abort", onCancel, { once: true });
  const ended = (phase: string): AttemptResult =>
    timedOut
      ? { ok: false, kind: "timeout", requestSent: true, message: `${phase} within ${step.timeoutMs} ms` }
      : { ok: false, kind: "cancelled", requestSent: true, message: "cancelled by the caller's AbortSignal" };
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < step.headers.length; i += 2) headers.push([step.headers[i]!, step.headers[i + 1]!]);
  try {
    let response: FetchResponse;
    try {
      response = await fetchFn(step.url, {
        method: step.method,
        headers,
        body: step.body.length > 0 ? step.body : undefined,
        // A redirect is never followed: the core turns any 3xx into an error.
        redirect: "manual",
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) return ended("no answer");
      return networkFailure(error);
    }
    try {
      const responseHeaders: string[] = [];
      response.headers.forEach((value, name) => {
        responseHeaders.push(name, value);
      });
      // With redirect "manual", browsers hide the 3xx behind an opaque status 0.
      const status = response.type === "opaqueredirect" ? 302 : response.status;
      const body = await readCapped(response);
      if (body === undefined) {
        return { ok: false, kind: "io", requestSent: true, message: `response body larger than ${maxResponseBytes()} bytes` };
      }
      return { ok: true, status, headers: responseHeaders, body };
    } catch {
      if (controller.signal.aborted) return ended("body not received");
      return { ok: false, kind: "io", requestSent: true, message: "connection lost while reading the response" };
    }
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener("abort", onCancel);
  }
}

/** The whole body, or undefined when it exceeds the core's MAX_RESPONSE_BYTES. */
async function readCapped(response: FetchResponse): Promise<Uint8Array | undefined> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxResponseBytes()) {
    await response.body?.getReader().cancel().catch(() => undefined);
    return undefined;
  }
  if (response.body === null) {
    const whole = new Uint8Array(await response.arrayBuffer());
    return whole.length > maxResponseBytes() ? undefined : whole;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    total += value.length;
    if (total > maxResponseBytes()) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}
