import { describe, expect, it } from "vitest";
import { metadataDocument } from "../catalog/metadata-document.ts";
import { InProcessMetadataCache } from "./in-process-metadata-cache.ts";
import { metadataCacheContract } from "./metadata-cache.contract.ts";

metadataCacheContract("InProcessMetadataCache", () => () => new InProcessMetadataCache());

describe("InProcessMetadataCache", () => {
  it("keeps at most its capacity, dropping the least recently used", async () => {
    const cache = new InProcessMetadataCache(2);
    const stamp = "2026-01-01T00:00:00.000Z";
    for (const name of ["a/a", "b/b", "c/c"]) {
      await cache.set({ packageName: name, variant: "p2", stamp }, metadataDocument(name, stamp));
    }
    expect(await cache.get({ packageName: "a/a", variant: "p2", stamp })).toBeUndefined();
    expect((await cache.get({ packageName: "c/c", variant: "p2", stamp }))?.body).toBe("c/c");
  });
});
