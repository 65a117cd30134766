import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRedisServer, startRedisServer, type RedisServer } from "../../test/support/redis-server.ts";
import { metadataDocument } from "../catalog/metadata-document.ts";
import { createLogger } from "../observability/logger.ts";
import { createRedisClient, firstConnection } from "../redis/create-redis-client.ts";
import { InProcessMetadataCache } from "./in-process-metadata-cache.ts";
import { LayeredMetadataCache } from "./layered-metadata-cache.ts";
import type { MetadataKey } from "./metadata-cache.ts";
import { metadataCacheContract } from "./metadata-cache.contract.ts";
import { METADATA_KEY_PREFIX, metadataEntryKey, RedisMetadataCache } from "./redis-metadata-cache.ts";

const run = requireRedisServer();
const stamp = "2026-03-04T05:06:07.000Z";

describe.runIf(run)("RedisMetadataCache against redis-server", () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  metadataCacheContract("RedisMetadataCache", () => () => new RedisMetadataCache({ client: redis.client() }));
  metadataCacheContract(
    "LayeredMetadataCache over Redis",
    () => () =>
      new LayeredMetadataCache(
        new InProcessMetadataCache(),
        new RedisMetadataCache({ client: redis.client() }),
        createLogger({ level: "silent" }),
      ),
  );

  it("serves a document stored by one node to another, with a TTL, indexed for invalidation", async () => {
    const [first, second] = [0, 1].map(
      () => new RedisMetadataCache({ client: redis.client(), ttlMs: 60_000 }),
    );
    const client = redis.client();
    try {
      const key: MetadataKey = { packageName: "acme/shared", variant: "p2", stamp };
      await first?.set(key, metadataDocument("shared body", stamp));
      expect((await second?.get(key))?.body).toBe("shared body");
      const ttl = await client.pttl(metadataEntryKey(key));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await client.smembers(`${METADATA_KEY_PREFIX}{acme/shared}:keys`)).toEqual([
        metadataEntryKey(key),
      ]);
      await second?.invalidate("acme/shared");
      expect(await first?.get(key)).toBeUndefined();
      expect(await client.keys(`${METADATA_KEY_PREFIX}{acme/shared}*`)).toEqual([]);
    } finally {
      client.disconnect();
      await Promise.all([first?.close(), second?.close()]);
    }
  });

  it("ignores and deletes corrupted entries: truncated, tampered, foreign, of another type", async () => {
    const cache = new RedisMetadataCache({ client: redis.client() });
    const client = redis.client();
    const key = (n: number): MetadataKey => ({ packageName: `acme/corrupt${n}`, variant: "p2", stamp });
    try {
      const document = metadataDocument('{"packages":{"acme/corrupt":[{"version":"1.0.0"}]}}', stamp);
      await cache.set(key(1), document);
      const stored = (await client.get(metadataEntryKey(key(1)))) ?? "";
      await client.set(metadataEntryKey(key(1)), stored.slice(0, -5));
      await client.set(metadataEntryKey(key(2)), stored.replace("1.0.0", "6.6.6"));
      await client.set(metadataEntryKey(key(3)), "not ours at all");
      await client.set(metadataEntryKey(key(4)), "pbmd1\nx\nnot-a-number\n{}");
      await client.sadd(metadataEntryKey(key(5)), "a set, not a string");
      for (const n of [1, 2, 3, 4, 5]) {
        expect(await cache.get(key(n))).toBeUndefined();
        expect(await client.exists(metadataEntryKey(key(n)))).toBe(0);
      }
    } finally {
      client.disconnect();
      await cache.close();
    }
  });

  it("neither stores nor serves an entry beyond the size cap", async () => {
    const cache = new RedisMetadataCache({ client: redis.client(), maxEntryBytes: 1024 });
    const client = redis.client();
    try {
      const big: MetadataKey = { packageName: "acme/big", variant: "p2", stamp };
      await cache.set(big, metadataDocument("x".repeat(2000), stamp));
      expect(await client.exists(metadataEntryKey(big))).toBe(0);
      // Written by someone else (or a node with a larger cap): not read, deleted.
      const bigger = new RedisMetadataCache({ client: redis.client(), maxEntryBytes: 1024 * 1024 });
      await bigger.set(big, metadataDocument("y".repeat(2000), stamp));
      await bigger.close();
      expect(await client.exists(metadataEntryKey(big))).toBe(1);
      expect(await cache.get(big)).toBeUndefined();
      expect(await client.exists(metadataEntryKey(big))).toBe(0);
    } finally {
      client.disconnect();
      await cache.close();
    }
  });

  it("fails when Redis stops; layered over it, documents are rendered locally and it is logged once", async () => {
    const own = await startRedisServer();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: "info",
      destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const client = createRedisClient(own.url, logger);
    await firstConnection(client, 5_000);
    const shared = new RedisMetadataCache({ client });
    const layered = new LayeredMetadataCache(new InProcessMetadataCache(), shared, logger);
    const key: MetadataKey = { packageName: "acme/down", variant: "p2", stamp };
    try {
      await layered.set(key, metadataDocument("before", stamp));
      await own.stop();
      await expect(shared.get(key)).rejects.toThrow();
      // The local copy still answers; what is not local is a miss (rendered), never an error.
      expect((await layered.get(key))?.body).toBe("before");
      const other: MetadataKey = { ...key, packageName: "acme/other" };
      expect(await layered.get(other)).toBeUndefined();
      await layered.set(other, metadataDocument("rendered here", stamp));
      await layered.invalidate("acme/down");
      expect(await layered.get(key)).toBeUndefined();
      expect(layered.failures).toBeGreaterThanOrEqual(1);
      expect(
        lines.filter((l) => String(l.message).startsWith("Shared metadata cache unavailable")),
      ).toMatchObject([{ level: "warn" }]);
    } finally {
      await layered.close();
    }
  });
});
