// One HTTP attempt on undici's keep-alive Agent: the Node transport. Measured against
// `node:http` with a keep-alive agent and the global `fetch` in one benchmark run
// (bench/README.md, "Node transport"), undici is the fastest; `fetch` pays for web streams and
// the fetch spec's bookkeeping on every call. The attempt goes through the Agent's documented
// `dispatch(options, handler)` with a handler of its own rather than through `request()`:
// `request()` adds an AsyncResource, a Readable body stream and the AbortSignal plumbing per
// call, none of which the SDK needs (it reads whole bodies of a few hundred bytes, and ends an
// attempt through the dispatch controller). Only node.cjs loads this file, and it hands in the
// undici module, so the browser and edge builds never reference undici.

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

/** The part of undici's surface this transport uses (undici's own types are not needed). */
export interface UndiciModule {
  Agent: new (options: Record<string, unknown>) => UndiciAgent;
}

interface UndiciAgent {
  dispatch(options: Record<string, unknown>, handler: object): boolean;
  close(): Promise<void>;
}

/** undici's DispatchController: what a handler may do to its request. */
interface DispatchController {
  abort(reason: Error): void;
}

/** A transport with its own connection pool (one per client; `close()` ends its sockets). */
export function undiciTransport(undici: UndiciModule): Transport {
  // Keep-alive is undici's default, with as many connections per origin as there are requests
  // in flight (as a hand-written Pool sized to the concurrency); idle sockets do not keep the
  // process alive. No pipelining: a request stuck behind another would share its fate.
  // Redirects are never followed (dispatch follows none without the redirect interceptor).
  const agent = new undici.Agent({ pipelining: 1 });
  return {
    send: (step, signal) =>
      new Promise<AttemptResult>((resolve) => {
        const handler = new Attempt(step, signal, resolve);
        if (handler.guard.reason !== undefined) return handler.settle(handler.guard.failure("not started"));
        const pathAt = step.url.indexOf("/", step.url.indexOf("//") + 2);
        agent.dispatch(
          {
            origin: pathAt < 0 ? step.url : step.url.slice(0, pathAt),
            path: pathAt < 0 ? "/" : step.url.slice(pathAt),
            method: step.method,
            // undici takes the core's flattened [name, value, …] list as it is.
            headers: step.headers,
            // The core's JSON text: undici writes it as UTF-8 with the core's Content-Type.
            body: step.body.length > 0 ? step.body : null,
          },
          handler,
        );
      }),
    close: () => agent.close(),
  };
}

/** The reason handed to undici when the SDK ends an attempt (its result is already settled). */
const ended = (): Error => new Error("attempt ended by the SDK (timeout, AbortSignal or body cap)");

/** One attempt as an undici dispatch handler: collects status, headers and body (at most the
 * core's MAX_RESPONSE_BYTES) and resolves once, whatever ends it first. */
class Attempt {
  readonly guard: AttemptGuard;
  #resolve: ((result: AttemptResult) => void) | undefined;
  #controller: DispatchController | undefined = undefined;
  #status = 0;
  #headers = "";
  #chunks: Uint8Array[] = [];
  #total = 0;

  constructor(step: SendStep, signal: AbortSignal | undefined, resolve: (result: AttemptResult) => void) {
    this.#resolve = resolve;
    // Timeout or cancellation: resolve now (a request still queued for a connection is
    // aborted the moment undici starts it, before a byte is written), and stop the request.
    this.guard = new AttemptGuard(step.timeoutMs, signal, () => {
      this.settle(this.guard.failure(this.#status === 0 ? "no answer" : "body not received"));
      this.#controller?.abort(ended());
    });
  }

  settle(result: AttemptResult): void {
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    this.#resolve = undefined;
    this.#chunks = [];
    this.guard.dispose();
    resolve(result);
  }

  onRequestStart(controller: DispatchController): void {
    this.#controller = controller;
    if (this.#resolve === undefined) controller.abort(ended());
  }

  onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx (100 Continue, 103 Early Hints) are interim: the answer follows.
    if (statusCode < 200 || this.#resolve === undefined) return;
    if (Number(headers["content-length"] ?? "0") > maxResponseBytes()) {
      this.settle(tooLarge());
      controller.abort(ended());
      return;
    }
    this.#status = statusCode;
    let text = "";
    for (const name in headers) {
      const value = headers[name];
      if (typeof value === "string") text += text === "" ? `${name}\n${value}` : `\n${name}\n${value}`;
      else if (Array.isArray(value)) for (const v of value) text += text === "" ? `${name}\n${v}` : `\n${name}\n${v}`;
    }
    this.#headers = text;
  }

  onResponseData(controller: DispatchController, chunk: Uint8Array): void {
    if (this.#resolve === undefined || this.#status === 0) return;
    this.#total += chunk.length;
    if (this.#total > maxResponseBytes()) {
      this.settle(tooLarge());
      controller.abort(ended());
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#resolve === undefined) return;
    this.settle({ ok: true, status: this.#status, headers: this.#headers, body: concat(this.#chunks, this.#total) });
  }

  onResponseError(_controller: DispatchController, error: unknown): void {
    if (this.#resolve === undefined) return;
    // The answer had begun: the request was received. Before that, only a connect-phase error
    // means "not sent" (networkFailure classifies).
    this.settle(this.#status !== 0 ? LOST_MID_BODY : networkFailure(error));
  }
}
