import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { metadataDocument } from "../catalog/metadata-document.ts";
import type { NewVersion } from "../storage/database/catalog-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { InProcessMetadataCache } from "./in-process-metadata-cache.ts";
import { InvalidatingCatalogRecords } from "./invalidating-catalog-records.ts";
import type { MetadataCache, MetadataKey } from "./metadata-cache.ts";

function version(packageName: string, v: string): NewVersion {
  return {
    id: randomUUID(),
    packageName,
    version: v,
    versionNormalized: `${v}.0`,
    isDev: false,
    origin: "upload",
    repositoryId: null,
    reference: "a".repeat(40),
    metadata: JSON.stringify({ name: packageName, version: v }),
    distSha256: "b".repeat(64),
    distSha1: "c".repeat(40),
    distSize: 10,
  };
}

/** Records the invalidations it is asked for, around an in-process cache. */
class WatchedCache extends InProcessMetadataCache {
  readonly invalidated: string[] = [];

  override invalidate(packageName: string): Promise<void> {
    this.invalidated.push(packageName);
    return super.invalidate(packageName);
  }
}

describe.each(testEngines())("InvalidatingCatalogRecords on %s", (engine) => {
  let database: DatabaseHandle;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
  });

  afterEach(async () => {
    await database.close();
  });

  const now = "2026-05-01T10:00:00.000Z";

  it("drops a package's documents after each write that changes it, and only then", async () => {
    const cache = new WatchedCache();
    const records = new InvalidatingCatalogRecords(database.db, cache);
    const key: MetadataKey = { packageName: "acme/red", variant: "p2", stamp: now };
    await cache.set(key, metadataDocument("rendered", now));

    await records.saveVersion(version("acme/red", "1.0.0"), now);
    expect(await cache.get(key)).toBeUndefined();
    expect(await records.insertVersionIfAbsent(version("acme/red", "1.0.0"), now)).toBe(false);
    expect(await records.insertVersionIfAbsent(version("acme/red", "1.1.0"), now)).toBe(true);
    expect(await records.deleteVersion("acme/red", "9.9.9.0", now)).toBe(false);
    expect(await records.deleteVersion("acme/red", "1.0.0.0", now)).toBe(true);
    expect(cache.invalidated).toEqual(["acme/red", "acme/red", "acme/red"]);
  });

  it("keeps the write when the cache fails to invalidate", async () => {
    const failing: MetadataCache = {
      get: () => Promise.resolve(undefined),
      set: () => Promise.resolve(),
      invalidate: () => Promise.reject(new Error("cache down")),
      close: () => Promise.resolve(),
    };
    const records = new InvalidatingCatalogRecords(database.db, failing);
    await records.saveVersion(version("acme/blue", "2.0.0"), now);
    expect(await records.findVersion("acme/blue", "2.0.0.0")).not.toBeNull();
  });
});
