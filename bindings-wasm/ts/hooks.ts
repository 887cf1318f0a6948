// `client.on("request" | "response", fn)` (stripe-node's convention): one event per HTTP
// attempt, built from the core's attempt report, so it carries exactly what the core decided
// (will it retry, is the outcome unknown) and nothing it must not: no body, no header value, no
// secret, no personal data (the path is the template, `/cash-out/{id}`). A listener that throws
// or rejects is logged and ignored: it can never fail or repeat a payout.

import type { CoreAttempt } from "./runtime.js";
import type { ConnectPSPEventName, Logger, RequestEvent, ResponseEvent } from "./types.js";

type Listener<E> = (event: E) => unknown;

export class Hooks {
  readonly #request = new Set<Listener<RequestEvent>>();
  readonly #response = new Set<Listener<ResponseEvent>>();
  readonly #logger: () => Logger | null;
  #calls = 0;

  constructor(logger: () => Logger | null) {
    this.#logger = logger;
  }

  add(name: ConnectPSPEventName, listener: unknown): void {
    this.#set(name).add(this.#checked(listener));
  }

  remove(name: ConnectPSPEventName, listener: unknown): void {
    this.#set(name).delete(listener as Listener<never>);
  }

  /** Whether any listener is registered (the driver skips the reports otherwise). */
  watched(): boolean {
    return this.#request.size > 0 || this.#response.size > 0;
  }

  /** A fresh call number for the events of one call. */
  nextCallId(): number {
    return ++this.#calls;
  }

  request(call: string, callId: number, attempt: CoreAttempt | null): void {
    if (attempt === null || this.#request.size === 0) return;
    const event: RequestEvent = {
      call,
      callId,
      purpose: attempt.purpose,
      method: attempt.method,
      path: attempt.pathTemplate,
      attempt: attempt.attempt,
      idempotencyKey: attempt.idempotencyKey,
    };
    for (const listener of this.#request) this.#run("request", listener, event);
  }

  response(call: string, callId: number, attempt: CoreAttempt | null): void {
    if (attempt === null || this.#response.size === 0) return;
    const event: ResponseEvent = {
      call,
      callId,
      purpose: attempt.purpose,
      method: attempt.method,
      path: attempt.pathTemplate,
      attempt: attempt.attempt,
      idempotencyKey: attempt.idempotencyKey,
      status: attempt.status,
      failure: attempt.failure,
      elapsedMs: attempt.elapsedMs,
      requestId: attempt.requestId,
      willRetry: attempt.willRetry,
      outcomeUnknown: attempt.outcomeUnknown,
    };
    for (const listener of this.#response) this.#run("response", listener, event);
  }

  #set(name: ConnectPSPEventName): Set<Listener<never>> {
    if (name === "request") return this.#request as Set<Listener<never>>;
    if (name === "response") return this.#response as Set<Listener<never>>;
    throw new TypeError(`unknown event ${JSON.stringify(String(name))}: expected "request" or "response"`);
  }

  #checked(listener: unknown): Listener<never> {
    if (typeof listener !== "function") throw new TypeError("the listener must be a function");
    return listener as Listener<never>;
  }

  #run<E>(name: string, listener: Listener<E>, event: E): void {
    try {
      const result = listener(event);
      if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
        (result as Promise<unknown>).then(undefined, (error: unknown) => this.#report(name, error));
      }
    } catch (error) {
      this.#report(name, error);
    }
  }

  #report(name: string, error: unknown): void {
    try {
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.#logger()?.warn?.(`connectpsp: a "${name}" listener threw (ignored, the call goes on): ${why}`);
    } catch {
      // Neither a listener nor the logger can break a call.
    }
  }
}
