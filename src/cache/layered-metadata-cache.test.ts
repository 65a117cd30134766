import { describe, expect, it } from "vitest";
import { metadataDocument } from "../catalog/metadata-document.ts";
import { createLogger } from "../observability/logger.ts";
import { InProcessMetadataCache } from "./in-process-metadata-cache.ts";
import { LayeredMetadataCache } from "./layered-metadata-cache.ts";
import type { MetadataCache, MetadataKey } from "./metadata-cache.ts";

const stamp = "2026-02-03T04:05:06.000Z";
const key: MetadataKey = { packageName: "acme/red", variant: "p2", stamp };

/** A shared cache whose availability the test switches, counting the calls that reach it. */
class SwitchableCache extends InProcessMetadataCache {
  up = true;
  calls = 0;

  override get(k: MetadataKey): ReturnType<MetadataCache["get"]> {
    this.calls += 1;
    return this.up ? super.get(k) : Promise.reject(new Error("timed out"));
  }

  override set(k: MetadataKey, document: Parameters<MetadataCache["set"]>[1]): Promise<void> {
    this.calls += 1;
    return this.up ? super.set(k, document) : Promise.reject(new Error("timed out"));
  }
}

describe("LayeredMetadataCache", () => {
  it("serves from the shared cache what this process does not hold, and keeps it", async () => {
    const shared = new SwitchableCache();
    await shared.set(key, metadataDocument("from another node", stamp));
    const layered = new LayeredMetadataCache(
      new InProcessMetadataCache(),
      shared,
      createLogger({ level: "silent" }),
    );
    expect((await layered.get(key))?.body).toBe("from another node");
    shared.calls = 0;
    expect((await layered.get(key))?.body).toBe("from another node");
    expect(shared.calls).toBe(0);
    expect(layered.sharedHits).toBe(1);
  });

  it("leaves a failing shared cache alone for a pause, then tries it again", async () => {
    let now = 1_000_000;
    const shared = new SwitchableCache();
    const layered = new LayeredMetadataCache(
      new InProcessMetadataCache(),
      shared,
      createLogger({ level: "silent" }),
      {
        pauseMs: 5_000,
        now: () => now,
      },
    );
    shared.up = false;
    expect(await layered.get(key)).toBeUndefined();
    expect(shared.calls).toBe(1);
    // Rendered here; during the pause neither the write nor later misses reach the shared cache.
    await layered.set({ ...key, packageName: "acme/blue" }, metadataDocument("local", stamp));
    expect(await layered.get({ ...key, packageName: "acme/green" })).toBeUndefined();
    expect(shared.calls).toBe(1);
    expect(layered.failures).toBe(1);
    shared.up = true;
    now += 5_000;
    await layered.set(key, metadataDocument("shared again", stamp));
    expect(shared.calls).toBe(2);
    expect((await shared.get(key))?.body).toBe("shared again");
  });
});
