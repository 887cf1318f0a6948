// The client: options in, resources out. Each method names a core call and hands its parameters
// over as JSON; the core validates them, builds and signs the requests and decides retries.

import { AbortError, ConnectPSPError, TimeoutError, toSdkError, ValidationError } from "./errors.js";
import { withDisplay, withReplyDisplay } from "./generated/display.js";
import { facts, runtime, type CoreSession } from "./runtime.js";
import { drive, entropy, monotonicNow, TokenSignal, wake, type DriveOptions, type DriverContext } from "./driver.js";
import { Hooks } from "./hooks.js";
import { MAX_TIMER_MS, type Transport } from "./http.js";
import { fetchTransport, type FetchFunction } from "./http-fetch.js";
import type {
  Balance,
  CallOptions,
  CashIn,
  CashOut,
  ConnectPSPOptions,
  CreateCashInParams,
  CreateCashOutParams,
  ConnectPSPEventName,
  HeadersLike,
  KeyedCallOptions,
  Logger,
  OpenFinanceCashIn,
  OpenFinanceParams,
  RequestListener,
  ResponseListener,
  QrCodeCashIn,
  RebalanceParams,
  RebalanceResult,
  Refund,
  RefundCashInParams,
  WaitOptions,
  WebhookEvent,
  WithResponse,
} from "./types.js";
import { rememberCall, resubmitCall } from "./resubmit.js";
import { VERSION } from "./version.js";
import { checkTokenStore, TokenSync } from "./token-store.js";
import { rawBodyBytes, signatureFromHeaders, type ConstructEventOptions } from "./webhooks.js";

// Options the JS layer consumes itself; everything else goes to the core, which rejects what it
// does not know.
const JS_ONLY_OPTIONS = new Set(["fetch", "dangerouslyAllowBrowser", "logger", "tokenStore"]);

// Without a `logger` option, warnings (an abandoned money-moving call) still reach the console,
// as Python's warnings reach stderr; the per-attempt lines (debug/info) go nowhere.
const DEFAULT_LOGGER: Logger = {
  warn: (message: string, ...rest: unknown[]) => console.warn(message, ...rest),
  error: (message: string, ...rest: unknown[]) => console.error(message, ...rest),
};

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

export interface CashInResource {
  /** POST /cash-in: a PIX charge; the answer carries the BR Code in `pixData`. */
  create(params: CreateCashInParams & { openFinance?: undefined }, options?: KeyedCallOptions): Promise<WithResponse<QrCodeCashIn>>;
  /** POST /cash-in with `openFinance`: the answer carries a `paymentUrl` instead of a QR code. */
  create(params: CreateCashInParams & { openFinance: OpenFinanceParams }, options?: KeyedCallOptions): Promise<WithResponse<OpenFinanceCashIn>>;
  create(params: CreateCashInParams, options?: KeyedCallOptions): Promise<WithResponse<CashIn>>;
  /** GET /cash-in/{id}: id is the transactionId, internalCode or endToEndId. */
  get(id: string, options?: CallOptions): Promise<WithResponse<CashIn>>;
  /** POST /cash-in/{id}/refund: full refund of a PAID cash-in. */
  refund(id: string, params: RefundCashInParams, options?: KeyedCallOptions): Promise<WithResponse<Refund>>;
  /** Polls GET /cash-in/{id} (the core's growing, jittered interval) until it leaves
   * AWAITING_PAYMENT and returns it; after `timeoutMs` (default 60 000, the core's DEFAULT_SETTLE_TIMEOUT_MS) rejects with a
   * TimeoutError whose non-enumerable `lastState` is the last resource seen. */
  wait(id: string, options?: WaitOptions): Promise<WithResponse<CashIn>>;
}

export interface CashOutResource {
  /** POST /cash-out: pay out to a PIX key or a bank account (answered PROCESSING). After an
   * `outcomeUnknown` error, re-send it with `{ idempotencyKey: error.idempotencyKey,
   * possiblyApplied: true }` (what `client.resubmit(error)` does), never with a new key. */
  create(params: CreateCashOutParams, options?: KeyedCallOptions): Promise<WithResponse<CashOut>>;
  /** GET /cash-out/{id}. */
  get(id: string, options?: CallOptions): Promise<WithResponse<CashOut>>;
  /** Polls GET /cash-out/{id} until it leaves PROCESSING (the fallback for a lost webhook);
   * after `timeoutMs` (default 60 000, the core's DEFAULT_SETTLE_TIMEOUT_MS) rejects with a TimeoutError whose non-enumerable
   * `lastState` is the last resource seen. */
  wait(id: string, options?: WaitOptions): Promise<WithResponse<CashOut>>;
}

export interface AccountResource {
  /** GET /account/balance. */
  balance(options?: CallOptions): Promise<WithResponse<Balance>>;
  /** POST /account/rebalance: align the transactional balance with a target. */
  rebalance(params: RebalanceParams, options?: CallOptions): Promise<WithResponse<RebalanceResult>>;
}

export interface ClientWebhooks {
  /** Verifies X-Connect-Signature with this client's cryptoToken (or its `webhookCryptoTokens`,
   * during a key rotation) and `webhookToleranceMs`, and parses the event. Pass the raw body
   * exactly as received, before any JSON parsing. `options` override the client's tokens and
   * tolerance for this delivery. */
  constructEvent(rawBody: string | Uint8Array | ArrayBuffer, headers: HeadersLike, options?: ClientConstructEventOptions): WebhookEvent;
}

/** Per-delivery overrides of `client.webhooks.constructEvent`. */
export interface ClientConstructEventOptions extends ConstructEventOptions {
  /** The crypto token(s) to verify with instead of the client's, the new one first. */
  cryptoToken?: string | readonly string[];
}

/** A ConnectPSP API client. Safe to share: concurrent calls share one token. */
export class ConnectPSP {
  static get PRODUCTION(): string { return facts().PRODUCTION_URL; }
  static get STAGING(): string { return facts().STAGING_URL; }
  /** The package version. */
  static readonly VERSION: string = VERSION;

  readonly baseUrl: string;
  readonly cashIn: CashInResource;
  readonly cashOut: CashOutResource;
  readonly account: AccountResource;
  readonly webhooks: ClientWebhooks;

  // Private fields: invisible to JSON.stringify, util.inspect and Object.keys, and the secrets
  // themselves live only inside the core's session.
  #session: CoreSession;
  #transport: Transport;
  #hooks: Hooks;
  #tokens: TokenSync | null;
  #closed = false;

  constructor(options: ConnectPSPOptions) {
    if (options === null || typeof options !== "object") {
      throw new ValidationError("options: expected an object with clientId, clientSecret, applicationToken and cryptoToken", {
        kind: "validation",
        code: "VALIDATION_ERROR",
        field: "options",
      });
    }
    const rt = runtime();
    if (rt.isBrowser && options.dangerouslyAllowBrowser !== true) {
      throw new ConnectPSPError(
        "refusing to create a ConnectPSP client in a browser: its secrets (clientSecret, cryptoToken) would be " +
          "exposed to every visitor. Call the API from your backend, or pass dangerouslyAllowBrowser: true " +
          "for a local test page. (webhooks and pix helpers work without a client.)",
        { kind: "validation", code: "BROWSER_NOT_ALLOWED", field: "dangerouslyAllowBrowser" },
      );
    }
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) {
      if (!JS_ONLY_OPTIONS.has(key) && value !== undefined) config[key] = value;
    }
    // The core picks the JS codec (camelCase, exact float amounts) from the binding's name.
    config.binding = "js";
    config.bindingVersion = VERSION;
    let session: CoreSession;
    try {
      session = new rt.core.WasmSession(JSON.stringify(config));
    } catch (error) {
      throw toSdkError(error);
    }
    this.#session = session;
    this.baseUrl = session.baseUrl;

    this.#transport = resolveTransport(options.fetch);
    const logger = resolveLogger(options.logger);
    this.#hooks = new Hooks(() => logger);
    const tokenSignal = new TokenSignal();
    const tokens =
      options.tokenStore === undefined || options.tokenStore === null
        ? null
        : new TokenSync(session, checkTokenStore(options.tokenStore), logger, monotonicNow, () => tokenSignal.notify());
    const ctx: DriverContext = {
      session,
      transport: this.#transport,
      tokenSignal,
      logger,
      logLines: logger !== null && (typeof logger.debug === "function" || typeof logger.info === "function"),
      hooks: this.#hooks,
      tokens,
    };
    this.#tokens = tokens;
    // `pending` (the core's rule) is read by the settle wait only.
    const callPending = async <T>(method: string, params: object, options?: CallOptions): Promise<[WithResponse<T>, boolean]> => {
      if (this.#closed) {
        throw new ConnectPSPError("this client was closed: create a new ConnectPSP", { kind: "internal", code: "CLIENT_CLOSED" });
      }
      const checked = driveOptions(options);
      const { data, response, pending } = await drive(ctx, method, params, checked).catch((error: unknown) => {
        rememberCall(error, this, method, params, call); // for client.resubmit(error)
        // The error reaches its caller now, whatever the store's speed (a cancelled call must
        // settle promptly); the write goes on in the background and `close()` waits for it.
        tokens?.saveLater();
        throw error;
      });
      if (tokens !== null) await tokens.save();
      // Prints with personal data masked (toString, util.inspect), by the core's rule.
      const resource = withReplyDisplay(method, (data ?? {}) as T & object);
      Object.defineProperty(resource, "response", { value: response, enumerable: false });
      return [resource as WithResponse<T>, pending];
    };
    const call = async <T>(method: string, params: object, options?: CallOptions): Promise<WithResponse<T>> =>
      (await callPending<T>(method, params, options))[0];
    // The settle wait: the core says which states are pending and how long to wait between polls.
    const wait = async <T>(method: string, id: string, options?: WaitOptions): Promise<WithResponse<T>> => {
      const timeoutMs = options?.timeoutMs ?? facts().DEFAULT_SETTLE_TIMEOUT_MS;
      if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || timeoutMs > MAX_TIMER_MS) {
        throw new ValidationError("timeoutMs: must be a number of milliseconds above 0 and at most 2^31 - 1", {
          kind: "validation",
          code: "VALIDATION_ERROR",
          field: "timeoutMs",
        });
      }
      const signal = options?.signal;
      const endAt = monotonicNow() + timeoutMs;
      for (let poll = 0; ; poll++) {
        const remaining = Math.max(1, Math.floor(endAt - monotonicNow()));
        const [resource, pending] = await callPending<T>(method, { id }, { deadlineMs: remaining, ...(signal ? { signal } : {}) });
        if (!pending) return resource;
        const delay = runtime().core.settleDelayMs(poll, entropy().subarray(0, 16));
        if (monotonicNow() + delay >= endAt) {
          const status = String((resource as { status?: unknown }).status ?? "unknown");
          const error = new TimeoutError(`${method.replace(".get", ".wait")}: ${id} still ${status} after ${timeoutMs} ms`, {
            kind: "timeout",
            code: "WAIT_TIMEOUT",
          });
          // Not enumerable: the resource holds names and documents, which must not reach logs.
          Object.defineProperty(error, "lastState", { value: resource, enumerable: false });
          throw error;
        }
        if (!(await wake(undefined, delay, signal))) {
          throw new AbortError(`${method.replace(".get", ".wait")}: cancelled by its AbortSignal`, { kind: "cancelled", code: "ABORTED" });
        }
      }
    };
    // The key and the possibly-applied mark are call parameters for the core, which checks
    // them (a mark without a key, or on a call that takes none, is a ValidationError).
    const withKey = (params: object, options?: KeyedCallOptions): object => {
      if (options === undefined || options === null) return params;
      const { idempotencyKey, possiblyApplied } = options;
      if (idempotencyKey === undefined && possiblyApplied === undefined) return params;
      return {
        ...params,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        ...(possiblyApplied === undefined ? {} : { possiblyApplied }),
      };
    };

    this.cashIn = Object.freeze({
      // One implementation behind the overloads: which shape comes back is the API's answer.
      create: ((params: CreateCashInParams, options?: KeyedCallOptions) =>
        call<CashIn>("cashIn.create", withKey(params, options), options)) as CashInResource["create"],
      get: (id: string, options?: CallOptions) => call<CashIn>("cashIn.get", withKey({ id }, options), options),
      refund: (id: string, params: RefundCashInParams, options?: KeyedCallOptions) =>
        call<Refund>("cashIn.refund", withKey({ ...params, id }, options), options),
      wait: (id: string, options?: WaitOptions) => wait<CashIn>("cashIn.get", id, options),
    });
    this.cashOut = Object.freeze({
      create: (params: CreateCashOutParams, options?: KeyedCallOptions) =>
        call<CashOut>("cashOut.create", withKey(params, options), options),
      get: (id: string, options?: CallOptions) => call<CashOut>("cashOut.get", withKey({ id }, options), options),
      wait: (id: string, options?: WaitOptions) => wait<CashOut>("cashOut.get", id, options),
    });
    this.account = Object.freeze({
      balance: (options?: CallOptions) => call<Balance>("account.balance", withKey({}, options), options),
      rebalance: (params: RebalanceParams, options?: CallOptions) =>
        call<RebalanceResult>("account.rebalance", withKey(params, options), options),
    });
    this.webhooks = Object.freeze({
      constructEvent: (rawBody: string | Uint8Array | ArrayBuffer, headers: HeadersLike, options?: ClientConstructEventOptions): WebhookEvent => {
        if (this.#closed) {
          throw new ConnectPSPError("this client was closed: create a new ConnectPSP", { kind: "internal", code: "CLIENT_CLOSED" });
        }
        const payload = rawBodyBytes(rawBody);
        const signature = signatureFromHeaders(headers);
        const keys = options?.cryptoToken;
        const cryptoTokens = keys === undefined ? undefined : typeof keys === "string" ? keys : [...keys];
        try {
          const json = session.constructEvent(payload, signature, cryptoTokens, options?.toleranceMs, options?.nowMs);
          return withDisplay("WebhookEvent", JSON.parse(json) as WebhookEvent);
        } catch (error) {
          throw toSdkError(error);
        }
      },
    });
  }

  /** Calls `listener` for every HTTP attempt: "request" before it is sent, "response" after
   * (status, elapsed ms, request id, whether the SDK will retry, whether the outcome is
   * unknown). Events carry no body, secret or personal data; a listener that throws is logged
   * and ignored. Returns the client, for chaining. */
  on(name: "request", listener: RequestListener): this;
  on(name: "response", listener: ResponseListener): this;
  on(name: ConnectPSPEventName, listener: RequestListener | ResponseListener): this {
    this.#hooks.add(name, listener);
    return this;
  }

  /** Removes a listener added with `on`. */
  off(name: "request", listener: RequestListener): this;
  off(name: "response", listener: ResponseListener): this;
  off(name: ConnectPSPEventName, listener: RequestListener | ResponseListener): this {
    this.#hooks.remove(name, listener);
    return this;
  }

  /** Sends a failed cashIn.create / cashIn.refund / cashOut.create again, unchanged, with the
   * idempotency key it used: the way to resolve an error whose `outcomeUnknown` is true (the API
   * replays the original answer, or does the work now, once). Never re-send with a new key. */
  resubmit<T = CashIn | CashOut>(error: unknown): Promise<WithResponse<T>> {
    return resubmitCall<WithResponse<T>>(this, error);
  }

  /** Closes the client's pooled connections and releases its WebAssembly memory now rather
   * than at garbage collection; resolves once the token store writes still running (those of
   * failed calls, each bounded by the store timeout) have ended. Calls started afterwards
   * reject. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    // The writes took their entry from the session when they started: freeing it is safe.
    const saves = this.#tokens?.settled() ?? Promise.resolve();
    this.#session.free();
    return Promise.all([saves, this.#transport.close().catch(() => undefined)]).then(() => undefined);
  }

  toString(): string {
    return `ConnectPSP(${this.baseUrl})`;
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }

  [inspectSymbol](): string {
    return `ConnectPSP { baseUrl: '${this.baseUrl}' }`;
  }
}

/** A call's options for the driver, checked (the core checks the ranges and names a bad one). */
function driveOptions(options: CallOptions | undefined): DriveOptions | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") {
    throw new ValidationError("options: expected an object", { kind: "validation", code: "VALIDATION_ERROR", field: "options" });
  }
  const signal: unknown = options.signal;
  if (signal !== undefined && signal !== null) {
    if (typeof signal !== "object" || typeof (signal as AbortSignal).addEventListener !== "function" || !("aborted" in signal)) {
      throw new ValidationError("signal: must be an AbortSignal", { kind: "validation", code: "VALIDATION_ERROR", field: "signal" });
    }
  }
  for (const field of ["timeoutMs", "deadlineMs", "maxRetries"] as const) {
    const value: unknown = options[field];
    if (value !== undefined && value !== null && typeof value !== "number") {
      throw new ValidationError(`${field}: must be a number`, { kind: "validation", code: "VALIDATION_ERROR", field });
    }
  }
  return {
    signal: (signal ?? undefined) as AbortSignal | undefined,
    timeoutMs: options.timeoutMs ?? undefined,
    deadlineMs: options.deadlineMs ?? undefined,
    maxRetries: options.maxRetries ?? undefined,
  };
}

function resolveLogger(logger: unknown): Logger | null {
  if (logger === undefined) return DEFAULT_LOGGER;
  if (logger === null) return null;
  if (typeof logger !== "object" && typeof logger !== "function") {
    throw new ValidationError("logger: must be a console-compatible object (debug/info/warn/error) or null", {
      kind: "validation",
      code: "VALIDATION_ERROR",
      field: "logger",
    });
  }
  return logger as Logger;
}

/** The caller's `fetch`, else the runtime's own client (Node: undici), else the global fetch. */
function resolveTransport(custom: unknown): Transport {
  if (custom !== undefined && custom !== null) {
    if (typeof custom !== "function") {
      throw new ValidationError("fetch: must be a function", { kind: "validation", code: "VALIDATION_ERROR", field: "fetch" });
    }
    return fetchTransport(custom as FetchFunction);
  }
  const own = runtime().transport;
  return own !== undefined ? own() : fetchTransport(globalFetch());
}

function globalFetch(): FetchFunction {
  if (typeof globalThis.fetch !== "function") {
    throw new ValidationError("this runtime has no global fetch: pass one in the `fetch` option", {
      kind: "validation",
      code: "VALIDATION_ERROR",
      field: "fetch",
    });
  }
  // Called through globalThis at call time: browsers refuse a detached `fetch` ("Illegal invocation").
  return (url, init) => (globalThis.fetch as unknown as FetchFunction)(url, init);
}
