// Sharing one access token between processes (workers, serverless functions) through a store
// the caller provides (`tokenStore`): this moves the entry between the core's session and the
// store. The core decides everything else: when the session wants a token, whether a stored one
// may be adopted (fresher than the current one, not the one the API last rejected), the key and
// the value. A store that throws, rejects, hangs or returns something else is logged and
// ignored, so it can never fail or repeat a payout. The value holds the access token: it is never
// logged, and neither is a `set` error's message (it could quote what was written).

import { errorFromCoreJson } from "./errors.js";
import { facts, type CoreSession } from "./runtime.js";
import type { Logger, TokenStore } from "./types.js";

/** A store in this process's memory: shares one token between several clients of one process,
 * and serves tests. Across processes, use a shared store (Redis, a KV namespace). */
export class InMemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();

  get(key: string): string | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= performance.now()) {
      this.#entries.delete(key);
      return null;
    }
    return entry.value;
  }

  set(key: string, value: string, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: performance.now() + ttlMs });
  }

  // Never the values: they are access tokens.
  toString(): string {
    return `InMemoryTokenStore(${this.#entries.size} entries)`;
  }

  toJSON(): { entries: number } {
    return { entries: this.#entries.size };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

const TIMED_OUT: unique symbol = Symbol("timed out");

/** Resolves with `value`, or TIMED_OUT after `ms` (the pending promise is left to settle). */
function within<T>(value: Promise<T> | T, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!(value instanceof Promise) && !isThenable(value)) return Promise.resolve(value);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), ms);
    Promise.resolve(value).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message ? `${error.name}: ${error.message.slice(0, 200)}` : error.name;
  return typeof error;
}

export function checkTokenStore(store: unknown): TokenStore {
  const ok =
    store !== null &&
    typeof store === "object" &&
    typeof (store as { get?: unknown }).get === "function" &&
    typeof (store as { set?: unknown }).set === "function";
  if (!ok) {
    throw new TypeError("tokenStore: must have get(key) and set(key, value, ttlMs) methods");
  }
  return store as TokenStore;
}

/** One client's link to its store. */
export class TokenSync {
  readonly #session: CoreSession;
  readonly #store: TokenStore;
  readonly #key: string;
  readonly #logger: Logger | null;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #adopted: () => void;
  /** The session generation last read from or written to the store: only newer is saved. */
  #saved = 0;
  /** The read in flight: concurrent calls wait for it instead of reading again. */
  #reading: Promise<void> | null = null;
  /** Writes started by `saveLater`, until they end. */
  readonly #writing = new Set<Promise<void>>();

  /** `adopted`: wakes the calls waiting for a token exchange (the stored token serves them). */
  constructor(session: CoreSession, store: TokenStore, logger: Logger | null, now: () => number, adopted: () => void) {
    this.#session = session;
    this.#store = store;
    this.#key = session.tokenStoreKey;
    this.#logger = logger;
    this.#timeoutMs = facts().TOKEN_STORE_TIMEOUT_MS;
    this.#now = now;
    this.#adopted = adopted;
  }

  /** Before a call: adopt the stored token if the session is about to fetch one. The read is
   * shared, never rejects, and ends within the store timeout; each call bounds its own wait
   * for it (its AbortSignal, its deadline: driver.ts). */
  load(): Promise<void> | undefined {
    if (this.#reading !== null) return this.#reading;
    if (!this.#session.wantsToken(this.#now())) return undefined;
    const reading = this.#read().finally(() => {
      this.#reading = null;
    });
    this.#reading = reading;
    return reading;
  }

  async #read(): Promise<void> {
    let value: unknown;
    try {
      value = await within(this.#store.get(this.#key), this.#timeoutMs);
    } catch (error) {
      this.#warn(`connectpsp: token store get failed, fetching a token instead (${describe(error)})`);
      return;
    }
    if (value === TIMED_OUT) {
      this.#warn(`connectpsp: token store get took over ${this.#timeoutMs} ms, fetching a token instead`);
      return;
    }
    if (value === null || value === undefined) return;
    if (typeof value !== "string") {
      this.#warn(`connectpsp: token store get returned ${typeof value}, not a string or null; ignored`);
      return;
    }
    try {
      const generation = this.#session.adoptFromStore(value, this.#now(), Date.now());
      if (generation !== undefined) {
        this.#saved = generation;
        this.#adopted();
      }
    } catch (error) {
      // The core's message, which never quotes the value.
      const message = typeof error === "string" ? errorFromCoreJson(error).message : describe(error);
      this.#warn(`connectpsp: token store value ignored: ${message}`);
    }
  }

  /** After a call: write the session's token if it is one the store has not seen. Whether the
   * call succeeded or not (a failed payout may still have fetched a fresh token). */
  async save(): Promise<void> {
    const entry = this.#session.tokenForStore(this.#saved, this.#now(), Date.now());
    if (entry === undefined) return;
    this.#saved = entry.generation;
    try {
      const done = await within(this.#store.set(this.#key, entry.value, entry.ttlMs), this.#timeoutMs);
      if (done === TIMED_OUT) {
        this.#warn(`connectpsp: token store set took over ${this.#timeoutMs} ms; other processes fetch their own token`);
      }
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      this.#warn(`connectpsp: token store set failed; other processes fetch their own token (${name})`);
    }
  }

  /** `save()` on a failed call's way out, not awaited: the error must not wait for a slow
   * store. The write still happens (the token is as good as after a success: another process
   * adopts it instead of fetching its own, and it replaces a stored token the API may have
   * just rejected); the entry is taken from the session now, before the caller can close the
   * client. */
  saveLater(): void {
    const writing = this.save();
    this.#writing.add(writing);
    void writing.finally(() => this.#writing.delete(writing));
  }

  /** Resolves when the writes `saveLater` started have ended (`client.close()`). */
  settled(): Promise<void> {
    return Promise.all([...this.#writing]).then(() => undefined);
  }

  #warn(message: string): void {
    try {
      this.#logger?.warn?.(message);
    } catch {
      // A broken logger must not fail a call either.
    }
  }
}
