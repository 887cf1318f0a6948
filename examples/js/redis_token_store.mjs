// A ConnectPSP token store on Redis (npm `redis`, node-redis): every worker, container and
// serverless function of a deployment reuses one access token instead of each fetching its own.
// The client reads the store only when it would otherwise fetch a token, and writes the new
// one after; the entry expires with the token. The value is the access token (a bearer
// secret): point this at a Redis only your service can read.
//
//   import { createClient } from "redis";
//   const redis = await createClient({ url: process.env.REDIS_URL, socket: { connectTimeout: 1000 } }).connect();
//   const client = new ConnectPSP({ ...credentials, tokenStore: new RedisTokenStore(redis) });
//
// A Redis that is down or slow never fails a call: the SDK logs the failure (logger.warn) and
// fetches a token as it would without a store.

/** @typedef {import("connectpsp").TokenStore} TokenStore */

/** @implements {TokenStore} */
export class RedisTokenStore {
  /** @type {Pick<import("redis").RedisClientType, "get" | "set">} */
  #redis;
  #prefix;

  /**
   * @param {Pick<import("redis").RedisClientType, "get" | "set">} redis a connected node-redis client
   * @param {{ prefix?: string }} [options] `prefix` namespaces the key (`"myapp:"`)
   */
  constructor(redis, { prefix = "" } = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /** @param {string} key */
  async get(key) {
    const value = await this.#redis.get(this.#prefix + key);
    return typeof value === "string" ? value : null;
  }

  /**
   * @param {string} key
   * @param {string} value
   * @param {number} ttlMs the token's remaining lifetime
   */
  async set(key, value, ttlMs) {
    await this.#redis.set(this.#prefix + key, value, {
      expiration: { type: "PX", value: Math.max(1, Math.floor(ttlMs)) },
    });
  }

  toString() {
    return `RedisTokenStore(prefix=${JSON.stringify(this.#prefix)})`;
  }
}
