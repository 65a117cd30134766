import type { MetadataDocument } from "../catalog/metadata-document.ts";
import { BoundedCache } from "./bounded-cache.ts";
import { METADATA_VARIANTS, type MetadataCache, type MetadataKey } from "./metadata-cache.ts";

interface Entry {
  readonly stamp: string;
  readonly document: MetadataDocument;
}

/**
 * The rendered documents of this process: one per package and variant (the latest stamp), the
 * least recently used dropped beyond `capacity`.
 */
export class InProcessMetadataCache implements MetadataCache {
  readonly #entries: BoundedCache<string, Entry>;

  constructor(capacity = 20_000) {
    this.#entries = new BoundedCache(capacity);
  }

  get(key: MetadataKey): Promise<MetadataDocument | undefined> {
    const entry = this.#entries.get(slot(key.packageName, key.variant));
    return Promise.resolve(entry?.stamp === key.stamp ? entry.document : undefined);
  }

  set(key: MetadataKey, document: MetadataDocument): Promise<void> {
    this.#entries.set(slot(key.packageName, key.variant), { stamp: key.stamp, document });
    return Promise.resolve();
  }

  invalidate(packageName: string): Promise<void> {
    for (const variant of METADATA_VARIANTS) this.#entries.delete(slot(packageName, variant));
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function slot(packageName: string, variant: string): string {
  return `${variant}\u0000${packageName}`;
}
