import type { MetadataDocument } from "../catalog/metadata-document.ts";

/** Which rendering of a package: its p2 document or its ~dev one, private or proxied. */
export type MetadataVariant = "p2" | "p2~dev" | "proxy" | "proxy~dev";

/** Names one rendered document: the package, the variant and the change stamp it was rendered at. */
export interface MetadataKey {
  readonly packageName: string;
  readonly variant: MetadataVariant;
  /** The package's change stamp when rendered: a document is only ever served for the same stamp. */
  readonly stamp: string;
}

/**
 * Rendered metadata documents (body and validators), by package, variant and change stamp.
 * Adapters: in-process (one node) and Redis (shared by the nodes; redis-metadata-cache.ts).
 * Because the stamp is part of the key, a document rendered before a change is never served after
 * it; `invalidate` only frees what a change made useless.
 */
export interface MetadataCache {
  get(key: MetadataKey): Promise<MetadataDocument | undefined>;
  set(key: MetadataKey, document: MetadataDocument): Promise<void>;
  /** Drops every document of the package (called when a sync, upload or delete changed it). */
  invalidate(packageName: string): Promise<void>;
  close(): Promise<void>;
}

export const METADATA_VARIANTS: readonly MetadataVariant[] = ["p2", "p2~dev", "proxy", "proxy~dev"];
