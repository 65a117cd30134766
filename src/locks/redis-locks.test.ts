import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRedisServer, startRedisServer, type RedisServer } from "../../test/support/redis-server.ts";
import { LOCK_KEY_PREFIX, RedisLocks } from "./redis-locks.ts";
import { sharedLocksContract } from "./shared-locks.contract.ts";

const run = requireRedisServer();

describe.runIf(run)("RedisLocks against redis-server", () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  sharedLocksContract("RedisLocks", () => () => new RedisLocks({ client: redis.client() }));

  it("lets one node of several hold a lock, and keeps it under pb:lock: with an expiry", async () => {
    const nodes = [0, 1, 2].map(() => new RedisLocks({ client: redis.client() }));
    const client = redis.client();
    try {
      const leases = await Promise.all(nodes.map((node) => node.tryAcquire("shared-name", 20_000)));
      expect(leases.filter((lease) => lease !== null)).toHaveLength(1);
      const ttl = await client.pttl(`${LOCK_KEY_PREFIX}shared-name`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(20_000);
      // A random token, not a guessable value: another node cannot release what it does not hold.
      expect(await client.get(`${LOCK_KEY_PREFIX}shared-name`)).toMatch(/^[0-9a-f]{32}$/);
      await Promise.all(leases.map((lease) => lease?.release() ?? Promise.resolve(false)));
      expect(await client.exists(`${LOCK_KEY_PREFIX}shared-name`)).toBe(0);
    } finally {
      client.disconnect();
      await Promise.all(nodes.map((node) => node.close()));
    }
  });

  it("fails (for the caller to fail open) when Redis does not answer", async () => {
    const other = await startRedisServer();
    const locks = new RedisLocks({ client: other.client() });
    try {
      const lease = await locks.tryAcquire("k", 10_000);
      expect(lease).not.toBeNull();
      await other.stop();
      await expect(locks.tryAcquire("k2", 10_000)).rejects.toThrow();
      await expect(lease?.release()).rejects.toThrow();
    } finally {
      await locks.close();
    }
  });
});
