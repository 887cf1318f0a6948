// One HTTP attempt with `fetch`: browsers, Deno, edge runtimes, and any `fetch` the caller
// passes in the options (which overrides the Node transport).

import {
  AttemptGuard,
  concat,
  LOST_MID_BODY,
  maxResponseBytes,
  networkFailure,
  tooLarge,
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

const utf8 = new TextEncoder();

export function fetchTransport(fetchFn: FetchFunction): Transport {
  return { send: (step, signal) => attempt(fetchFn, step, signal), close: async () => undefined };
}

async function attempt(fetchFn: FetchFunction, step: SendStep, callerSignal: AbortSignal | undefined): Promise<AttemptResult> {
  // fetch takes only an AbortSignal: the guard's abort fires this controller.
  const controller = new AbortController();
  const guard = new AttemptGuard(step.timeoutMs, callerSignal, () => controller.abort());
  if (guard.reason !== undefined) {
    guard.dispose();
    return guard.failure("not started");
  }
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < step.headers.length; i += 2) headers.push([step.headers[i]!, step.headers[i + 1]!]);
  try {
    let response: FetchResponse;
    try {
      response = await fetchFn(step.url, {
        method: step.method,
        headers,
        // Bytes, not the string: a string body would let a fetch add its own content type.
        body: step.body.length > 0 ? utf8.encode(step.body) : undefined,
        // A redirect is never followed: the core turns any 3xx into an error.
        redirect: "manual",
        signal: controller.signal,
      });
    } catch (error) {
      if (guard.reason !== undefined) return guard.failure("no answer");
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
      if (body === undefined) return tooLarge();
      return { ok: true, status, headers: responseHeaders.join("\n"), body };
    } catch {
      if (guard.reason !== undefined) return guard.failure("body not received");
      return LOST_MID_BODY;
    }
  } finally {
    guard.dispose();
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
