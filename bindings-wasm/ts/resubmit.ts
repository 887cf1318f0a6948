// Reconciliation: `client.resubmit(error)` sends a failed call again, unchanged, with the
// idempotency key it already used. After an error whose `outcomeUnknown` is true the money may
// or may not have moved; the API answers a re-submission with the same key by replaying the
// original response (or does the work now, once), so each unknown resolves to its one real
// transaction. A new key would risk paying twice.
//
// The remembered call lives in a WeakMap, not on the error: the parameters hold documents and
// PIX keys, which must never show up in `JSON.stringify(error)`, `util.inspect` or logs.

import { ConnectPSPError, ValidationError } from "./errors.js";

type Replay = () => Promise<unknown>;

const remembered = new WeakMap<ConnectPSPError, { owner: object; replay: Replay }>();

/**
 * Called where a call fails: remembers how to send it again when the core says which
 * idempotency key it used (only keyed calls — cash-in, cash-out, refund — can be re-submitted).
 * `send(params)` performs the call; the key is pinned into the parameters here.
 */
export function rememberCall(
  error: unknown,
  owner: object,
  method: string,
  params: object,
  send: (method: string, params: object) => Promise<unknown>,
): void {
  if (!(error instanceof ConnectPSPError) || error.idempotencyKey === null) return;
  // possiblyApplied: an earlier submission with this key may have been applied, so the core
  // reports every error of the re-submission outcome unknown, and a success as usual.
  const pinned = { ...params, idempotencyKey: error.idempotencyKey, possiblyApplied: true };
  remembered.set(error, { owner, replay: () => send(method, pinned) });
}

/** The implementation of `client.resubmit(error)`. */
export function resubmitCall<T>(owner: object, error: unknown): Promise<T> {
  const entry = error instanceof ConnectPSPError ? remembered.get(error) : undefined;
  if (entry === undefined || entry.owner !== owner) {
    return Promise.reject(
      new ValidationError(
        "resubmit: pass an error thrown by this client's cashIn.create, cashIn.refund or cashOut.create " +
          "(calls that carry an idempotency key)",
        { kind: "validation", code: "VALIDATION_ERROR", field: "error" },
      ),
    );
  }
  return entry.replay() as Promise<T>;
}
