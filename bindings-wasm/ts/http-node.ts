// One HTTP attempt with undici's `request` on a keep-alive Agent: the Node transport. Measured
// against `node:http` with a keep-alive agent and the global `fetch` in one benchmark run
// (bench/README.md, "Node transport"), undici's request is the fastest; `fetch` pays for web
// streams and the fetch spec's bookkeeping on every call. Only node.cjs loads this file, and it
// hands in the undici module, so the browser and edge builds never reference undici.

import {
  concat,
  maxResponseBytes,
  networkFailure,
  timerMs,
  type AttemptResult,
  type SendStep,
  type Transport,
} from "./http.js";

/** The part of undici's surface this transport uses (undici's own types are not needed). */
export interface UndiciModule {
  Agent: new (options: Record<string, unknown>) => UndiciAgent;
  request(url: string, options: Record<string, unknown>): Promise<UndiciResponse>;
}

interface UndiciAgent {
  close(): Promise<void>;
}

interface UndiciResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: UndiciBody;
}

interface UndiciBody {
  on(event: "data", listener: (chunk: Uint8Array) => void): UndiciBody;
  on(event: "end", listener: () => void): UndiciBody;
  on(event: "error", listener: (error: unknown) => void): UndiciBody;
  destroy(error?: unknown): void;
}

/** A transport with its own connection pool (one per client; `close()` ends its sockets). */
export function undiciTransport(undici: UndiciModule): Transport {
  // Keep-alive is undici's default; idle sockets do not keep the process alive. Redirects are
  // never followed (undici's request only follows them through an interceptor, not used here).
  const agent = new undici.Agent({ pipelining: 1 });
  return {
    send: (step, signal) => attempt(undici, agent, step, signal),
    close: () => agent.close(),
  };
}

async function attempt(
  undici: UndiciModule,
  agent: UndiciAgent,
  step: SendStep,
  callerSignal: AbortSignal | undefined,
): Promise<AttemptResult> {
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
  try {
    let response: UndiciResponse;
    try {
      response = await undici.request(step.url, {
        dispatcher: agent,
        method: step.method,
        // undici takes the core's flattened [name, value, …] list as it is.
        headers: step.headers,
        body: step.body.length > 0 ? step.body : undefined,
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) return ended("no answer");
      return networkFailure(error);
    }
    const headers: string[] = [];
    for (const name in response.headers) {
      const value = response.headers[name];
      if (typeof value === "string") headers.push(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.push(name, v);
    }
    try {
      const body = await readCapped(response.body, Number(response.headers["content-length"] ?? "0"));
      if (body === undefined) {
        return { ok: false, kind: "io", requestSent: true, message: `response body larger than ${maxResponseBytes()} bytes` };
      }
      return { ok: true, status: response.statusCode, headers, body };
    } catch {
      if (controller.signal.aborted) return ended("body not received");
      return { ok: false, kind: "io", requestSent: true, message: "connection lost while reading the response" };
    }
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener("abort", onCancel);
  }
}

/** The whole body, or undefined (the socket destroyed) once it exceeds the core's MAX_RESPONSE_BYTES. */
function readCapped(body: UndiciBody, declared: number): Promise<Uint8Array | undefined> {
  if (declared > maxResponseBytes()) {
    body.destroy();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    body
      .on("data", (chunk) => {
        total += chunk.length;
        if (total > maxResponseBytes()) {
          body.destroy();
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      })
      .on("end", () => resolve(concat(chunks, total)))
      .on("error", reject);
  });
}
