import { requirePackage, requirePermission, type AccessGrant } from "../access/access-grant.ts";
import type { Clock } from "../clock/clock.ts";
import { isValidPackageName } from "../composer/package-name.ts";
import { tryNormalizeVersion } from "../composer/version-parser.ts";
import { conflict, notFound } from "../errors/domain-error.ts";
import type { BlobStore } from "../storage/blobs/blob-store.ts";
import type { CatalogRecords, StoredVersion } from "../storage/database/catalog-records.ts";

/**
 * Deletes an uploaded version (and its dist, unless another version serves the same bytes).
 * Versions from git follow their refs: delete the tag or remove the repository instead.
 */
export class PackageDeletion {
  readonly #records: CatalogRecords;
  readonly #blobs: BlobStore;
  readonly #clock: Clock;

  constructor(options: { records: CatalogRecords; blobs: BlobStore; clock: Clock }) {
    this.#records = options.records;
    this.#blobs = options.blobs;
    this.#clock = options.clock;
  }

  async delete(packageName: string, version: string, grant: AccessGrant): Promise<StoredVersion> {
    requirePermission(grant, "packages:delete");
    const name = packageName.toLowerCase();
    const missing = notFound(
      "VersionNotFound",
      `no version ${JSON.stringify(version.slice(0, 100))} of ${JSON.stringify(name.slice(0, 200))}`,
    );
    if (!isValidPackageName(name)) throw missing;
    requirePackage(grant, name);
    const found =
      (await this.#records.findVersion(name, version)) ?? (await this.#findByPretty(name, version));
    if (found === null) throw missing;
    if (found.origin !== "upload") {
      throw conflict(
        "VersionFromGit",
        `${name} ${found.version} comes from a git repository: delete its ref there, or remove the repository`,
      );
    }
    await this.#records.deleteVersion(name, found.versionNormalized, this.#clock.now().toISOString());
    if (!(await this.#records.distInUse(found.distSha256))) await this.#blobs.delete(found.distSha256);
    return found;
  }

  async #findByPretty(name: string, version: string): Promise<StoredVersion | null> {
    const normalized = tryNormalizeVersion(version);
    return normalized === null ? null : this.#records.findVersion(name, normalized);
  }
}
