/**
 * Metadata cache: what serving one p2 document costs when it is rendered (database read of the
 * versions, JSON, sort, minify, hash), when it comes from Redis (one GET and the ETag check), and
 * when it comes from this process's memory, for packages of different sizes. Every request also
 * reads the package's change stamp (one indexed lookup), as CatalogReader always does.
 *
 *   node bench/metadata-cache/run.ts [--versions 10,100,1000] [--requests 300]
 *
 * Runs on SQLite in memory and a throwaway redis-server on 127.0.0.1 (PB_TEST_REDIS_SERVER or
 * /usr/bin/redis-server).
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createAccessGrant } from "../../src/access/access-grant.ts";
import { InProcessMetadataCache } from "../../src/cache/in-process-metadata-cache.ts";
import type { MetadataCache } from "../../src/cache/metadata-cache.ts";
import { RedisMetadataCache } from "../../src/cache/redis-metadata-cache.ts";
import { CatalogReader } from "../../src/catalog/catalog-reader.ts";
import { CatalogRecords } from "../../src/storage/database/catalog-records.ts";
import { migrateToLatest } from "../../src/storage/database/migrate-to-latest.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { startRedisServer } from "../../test/support/redis-server.ts";

const { values } = parseArgs({
  options: {
    versions: { type: "string", default: "10,100,1000" },
    requests: { type: "string", default: "300" },
  },
});
const sizes = values.versions.split(",").map(Number);
const requests = Number(values.requests);

/** Never holds anything: every request renders. */
const noCache: MetadataCache = {
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
  invalidate: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

const grant = createAccessGrant({
  tokenId: "tok_bench",
  fingerprint: "fp",
  scopes: ["read"],
  packagePatterns: [],
});

function metadataOf(name: string, version: string): string {
  return JSON.stringify({
    name,
    version,
    version_normalized: `${version}.0`,
    description: "A package of the metadata cache bench, with a description of a usual length.",
    type: "library",
    license: ["MIT"],
    authors: [{ name: "Bench Author", email: "bench@example.test" }],
    require: { php: ">=8.1", "psr/log": "^3.0", "symfony/console": "^6.4 || ^7.0" },
    "require-dev": { "phpunit/phpunit": "^11.0" },
    autoload: { "psr-4": { "Bench\\Big\\": "src/" } },
    source: { type: "git", url: "https://git.example.test/bench/big.git", reference: "a".repeat(40) },
    time: "2026-01-01T00:00:00+00:00",
  });
}

async function measure(reader: CatalogReader, name: string): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 20; i++) await reader.p2(name, false, grant);
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const start = performance.now();
    await reader.p2(name, false, grant);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] ?? 0,
    p95: times[Math.floor(times.length * 0.95)] ?? 0,
  };
}

const redis = await startRedisServer();
const database = openSqliteDatabase(":memory:");
try {
  await migrateToLatest(database.db);
  const records = new CatalogRecords(database.db);
  const rows: string[] = [];
  for (const size of sizes) {
    const name = `bench/big${size}`;
    for (let i = 0; i < size; i++) {
      const version = `${Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
      await records.saveVersion(
        {
          id: randomUUID(),
          packageName: name,
          version,
          versionNormalized: `${version}.0`,
          isDev: false,
          origin: "upload",
          repositoryId: null,
          reference: "b".repeat(40),
          metadata: metadataOf(name, version),
          distSha256: "c".repeat(64),
          distSha1: "d".repeat(40),
          distSize: 1000,
        },
        new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      );
    }
    const shared = new RedisMetadataCache({ client: redis.client() });
    const readers = {
      rendered: new CatalogReader({ records, baseUrl: "http://broker.test", metadataCache: noCache }),
      redis: new CatalogReader({ records, baseUrl: "http://broker.test", metadataCache: shared }),
      memory: new CatalogReader({
        records,
        baseUrl: "http://broker.test",
        metadataCache: new InProcessMetadataCache(),
      }),
    };
    const bytes = Buffer.byteLength((await readers.rendered.p2(name, false, grant)).body);
    const results: string[] = [];
    for (const [label, reader] of Object.entries(readers)) {
      const { median, p95 } = await measure(reader, name);
      results.push(`${label} ${median.toFixed(3)} / ${p95.toFixed(3)} ms`);
    }
    await shared.close();
    rows.push(
      `${String(size).padStart(5)} versions, ${(bytes / 1024).toFixed(0).padStart(5)} KiB: ${results.join(" | ")}`,
    );
  }
  console.log(`p2 document served, median / p95 per request over ${requests} requests (SQLite in memory):`);
  for (const row of rows) console.log(row);
} finally {
  await database.close();
  await redis.stop();
}
