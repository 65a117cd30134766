import type { Kysely } from "kysely";
import { CatalogRecords, type NewVersion } from "../storage/database/catalog-records.ts";
import type { Database } from "../storage/database/database-schema.ts";
import type { MetadataCache } from "./metadata-cache.ts";

/**
 * The catalog's records, dropping a package's rendered documents from the metadata cache after
 * each write that changes it: syncs, uploads and deletions all write through here. The change
 * stamp in the cache's keys already keeps an old document from being served; this frees the
 * space at once rather than at the entries' expiry. A failed invalidation never fails the write.
 */
export class InvalidatingCatalogRecords extends CatalogRecords {
  readonly #cache: MetadataCache;

  constructor(db: Kysely<Database>, cache: MetadataCache) {
    super(db);
    this.#cache = cache;
  }

  override async saveVersion(version: NewVersion, now: string): Promise<void> {
    await super.saveVersion(version, now);
    await this.#invalidate(version.packageName);
  }

  override async insertVersionIfAbsent(version: NewVersion, now: string): Promise<boolean> {
    const inserted = await super.insertVersionIfAbsent(version, now);
    if (inserted) await this.#invalidate(version.packageName);
    return inserted;
  }

  override async deleteVersion(name: string, versionNormalized: string, now: string): Promise<boolean> {
    const deleted = await super.deleteVersion(name, versionNormalized, now);
    if (deleted) await this.#invalidate(name);
    return deleted;
  }

  async #invalidate(packageName: string): Promise<void> {
    await this.#cache.invalidate(packageName).catch(() => undefined);
  }
}
