import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/clock.ts";
import { requireRedisServer, startRedisServer, type RedisServer } from "../../test/support/redis-server.ts";
import { RATE_LIMIT_KEY_PREFIX, RedisRateLimiter } from "./redis-rate-limiter.ts";
import { rateLimiterContract } from "./rate-limiter.contract.ts";

const run = requireRedisServer();

describe.runIf(run)("RedisRateLimiter against redis-server", () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  rateLimiterContract(
    "RedisRateLimiter",
    () => (policy, clock) => new RedisRateLimiter({ client: redis.client(), policy, clock }),
  );

  it("keeps one key per limited key under pb:rl:, expiring when the budget is whole again", async () => {
    const client = redis.client();
    const limiter = new RedisRateLimiter({
      client: redis.client(),
      policy: { limit: 10, windowMs: 60_000 },
      clock: new ManualClock(),
    });
    try {
      await limiter.hit("token:abc");
      const keys = await client.keys("*token:abc*");
      expect(keys).toEqual([`${RATE_LIMIT_KEY_PREFIX}token:abc`]);
      const ttl = await client.pttl(`${RATE_LIMIT_KEY_PREFIX}token:abc`);
      expect(ttl).toBeGreaterThan(5_000);
      expect(ttl).toBeLessThanOrEqual(6_000);
    } finally {
      await limiter.close();
      client.disconnect();
    }
  });

  it("shares the budget between limiters of different nodes", async () => {
    const clock = new ManualClock();
    const policy = { limit: 6, windowMs: 60_000 };
    const nodes = [0, 1, 2].map(() => new RedisRateLimiter({ client: redis.client(), policy, clock }));
    try {
      const decisions = await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const node = nodes[i % nodes.length];
          if (node === undefined) throw new Error("no node");
          return node.hit("token:shared");
        }),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(6);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });

  it("fails (for the caller to fail open) when Redis does not answer", async () => {
    const other = await startRedisServer();
    const limiter = new RedisRateLimiter({
      client: other.client(),
      policy: { limit: 10, windowMs: 60_000 },
      clock: new ManualClock(),
    });
    try {
      expect((await limiter.hit("k")).allowed).toBe(true);
      await other.stop();
      await expect(limiter.hit("k")).rejects.toThrow();
    } finally {
      await limiter.close();
    }
  });
});
