import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { LockLease, SharedLocks } from "./shared-locks.ts";
import { quitRedisClient } from "../redis/quit-redis-client.ts";

/** Every lock key in Redis starts with this. */
export const LOCK_KEY_PREFIX = "pb:lock:";

/** Deletes the key only if it still holds the caller's token (a lease that expired is not ours). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** Extends the key's expiry only if it still holds the caller's token. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/**
 * Locks every node shares: `SET pb:lock:<name> <random token> NX PX <ttl>`, released and renewed
 * by scripts that compare the token first, so a holder whose lease expired can never release or
 * extend the lock another node took since. Expiry is Redis's clock, not the nodes'.
 */
export class RedisLocks implements SharedLocks {
  readonly #client: Redis;
  readonly #ownsClient: boolean;

  constructor(options: { client: Redis; ownsClient?: boolean }) {
    this.#client = options.client;
    this.#ownsClient = options.ownsClient ?? true;
  }

  async tryAcquire(name: string, ttlMs: number): Promise<LockLease | null> {
    const key = `${LOCK_KEY_PREFIX}${name}`;
    const token = randomBytes(16).toString("hex");
    const reply = await this.#client.set(key, token, "PX", wholeMs(ttlMs), "NX");
    if (reply !== "OK") return null;
    return {
      name,
      renew: async (next: number) =>
        (await this.#client.eval(RENEW_SCRIPT, 1, key, token, String(wholeMs(next)))) === 1,
      release: async () => (await this.#client.eval(RELEASE_SCRIPT, 1, key, token)) === 1,
    };
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await quitRedisClient(this.#client);
  }
}

function wholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
