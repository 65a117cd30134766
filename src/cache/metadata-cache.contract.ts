import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { metadataDocument } from "../catalog/metadata-document.ts";
import type { MetadataCache, MetadataKey } from "./metadata-cache.ts";

/**
 * The behaviour every MetadataCache adapter must have. `factory` is asked for after the file's
 * `beforeAll` ran; every cache made in a test is closed after it.
 */
export function metadataCacheContract(name: string, factory: () => () => MetadataCache): void {
  describe(`MetadataCache contract: ${name}`, () => {
    const open: MetadataCache[] = [];
    const make = (): MetadataCache => {
      const cache = factory()();
      open.push(cache);
      return cache;
    };
    const packageName = (): string => `contract/p${randomUUID().slice(0, 8)}`;
    const stamp1 = "2026-01-01T00:00:01.000Z";
    const stamp2 = "2026-01-01T00:00:02.000Z";
    const doc = (body: string, at = stamp1) => metadataDocument(body, at);

    afterEach(async () => {
      await Promise.all(open.splice(0).map((cache) => cache.close()));
    });

    it("misses what was never stored, and serves what was, validators included", async () => {
      const cache = make();
      const key: MetadataKey = { packageName: packageName(), variant: "p2", stamp: stamp1 };
      expect(await cache.get(key)).toBeUndefined();
      const document = doc('{"packages":{"a/b":[]}}');
      await cache.set(key, document);
      const got = await cache.get(key);
      expect(got?.body).toBe(document.body);
      expect(got?.etag).toBe(document.etag);
      expect(got?.lastModified.getTime()).toBe(document.lastModified.getTime());
    });

    it("never serves a document for another change stamp than it was rendered at", async () => {
      const cache = make();
      const name = packageName();
      await cache.set({ packageName: name, variant: "p2", stamp: stamp1 }, doc("old"));
      expect(await cache.get({ packageName: name, variant: "p2", stamp: stamp2 })).toBeUndefined();
      await cache.set({ packageName: name, variant: "p2", stamp: stamp2 }, doc("new", stamp2));
      expect((await cache.get({ packageName: name, variant: "p2", stamp: stamp2 }))?.body).toBe("new");
    });

    it("keeps variants and packages apart", async () => {
      const cache = make();
      const [a, b] = [packageName(), packageName()];
      await cache.set({ packageName: a, variant: "p2", stamp: stamp1 }, doc("a"));
      await cache.set({ packageName: a, variant: "p2~dev", stamp: stamp1 }, doc("a dev"));
      await cache.set({ packageName: b, variant: "p2", stamp: stamp1 }, doc("b"));
      expect((await cache.get({ packageName: a, variant: "p2~dev", stamp: stamp1 }))?.body).toBe("a dev");
      expect(await cache.get({ packageName: a, variant: "proxy", stamp: stamp1 })).toBeUndefined();
      expect((await cache.get({ packageName: b, variant: "p2", stamp: stamp1 }))?.body).toBe("b");
    });

    it("drops every document of a package on invalidation, and only that package's", async () => {
      const cache = make();
      const [a, b] = [packageName(), packageName()];
      await cache.set({ packageName: a, variant: "p2", stamp: stamp1 }, doc("a"));
      await cache.set({ packageName: a, variant: "p2~dev", stamp: stamp1 }, doc("a dev"));
      await cache.set({ packageName: b, variant: "p2", stamp: stamp1 }, doc("b"));
      await cache.invalidate(a);
      await cache.invalidate("never/stored");
      expect(await cache.get({ packageName: a, variant: "p2", stamp: stamp1 })).toBeUndefined();
      expect(await cache.get({ packageName: a, variant: "p2~dev", stamp: stamp1 })).toBeUndefined();
      expect((await cache.get({ packageName: b, variant: "p2", stamp: stamp1 }))?.body).toBe("b");
      await cache.set({ packageName: a, variant: "p2", stamp: stamp2 }, doc("a again", stamp2));
      expect((await cache.get({ packageName: a, variant: "p2", stamp: stamp2 }))?.body).toBe("a again");
    });

    it("keeps bodies byte for byte, whatever characters they hold", async () => {
      const cache = make();
      const key: MetadataKey = { packageName: packageName(), variant: "proxy", stamp: "up-1 " + stamp1 };
      const body = `{"d":"line\\nbreak ünïcødé 🎉 \u0000 \\"quoted\\""}\n\n`;
      await cache.set(key, doc(body));
      expect((await cache.get(key))?.body).toBe(body);
    });
  });
}
