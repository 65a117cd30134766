import { createHash } from "node:crypto";
import { newId } from "../ids/new-id.ts";
import { requirePackage, requirePermission, type AccessGrant } from "../access/access-grant.ts";
import type { Clock } from "../clock/clock.ts";
import { buildVersionEntry, parseComposerJson, type ComposerJson } from "../composer/composer-json.ts";
import { inspectDistArchive } from "../composer/dist-archive.ts";
import { normalizeVersion, parseStability } from "../composer/version-parser.ts";
import { conflict, invalidInput } from "../errors/domain-error.ts";
import type { BlobStore } from "../storage/blobs/blob-store.ts";
import type { CatalogRecords, StoredVersion } from "../storage/database/catalog-records.ts";

export interface UploadLimits {
  readonly maxEntries: number;
  readonly maxUncompressedBytes: number;
  readonly maxComposerJsonBytes: number;
}

export interface UploadedVersion {
  readonly packageName: string;
  readonly version: string;
  readonly versionNormalized: string;
  readonly distSha1: string;
  readonly distSha256: string;
  readonly size: number;
  /** False when the very same archive had been uploaded before. */
  readonly created: boolean;
}

/**
 * Publishes an uploaded zip as a package version. The zip is served as it was uploaded; its
 * `composer.json` must name the package and the version. A version, once uploaded, is immutable:
 * uploading other bytes for it is a conflict, uploading the same bytes again is a no-op.
 */
export class PackageUpload {
  readonly #records: CatalogRecords;
  readonly #blobs: BlobStore;
  readonly #clock: Clock;
  readonly #limits: UploadLimits;

  constructor(options: { records: CatalogRecords; blobs: BlobStore; clock: Clock; limits: UploadLimits }) {
    this.#records = options.records;
    this.#blobs = options.blobs;
    this.#clock = options.clock;
    this.#limits = options.limits;
  }

  async upload(zip: Uint8Array, grant: AccessGrant): Promise<UploadedVersion> {
    requirePermission(grant, "packages:write");
    const archive = await inspectDistArchive(zip, this.#limits);
    const composerJson = parseComposerJson(archive.composerJson, {
      maxBytes: this.#limits.maxComposerJsonBytes,
    });
    requirePackage(grant, composerJson.name);
    if (composerJson.version === undefined) {
      throw invalidInput(
        "UploadMissingVersion",
        'the composer.json in the archive has no "version"; uploads must name it',
      );
    }
    const version = composerJson.version;
    const versionNormalized = normalizeVersion(version);
    const sha1 = createHash("sha1").update(zip).digest("hex");
    const existing = await this.#records.findVersion(composerJson.name, versionNormalized);
    if (existing !== null) return this.#alreadyThere(existing, sha1);
    return this.#publish(zip, composerJson, { version, versionNormalized, sha1 });
  }

  async #publish(
    zip: Uint8Array,
    composerJson: ComposerJson,
    { version, versionNormalized, sha1 }: { version: string; versionNormalized: string; sha1: string },
  ): Promise<UploadedVersion> {
    const blob = await this.#blobs.put(zip);
    const now = this.#clock.now().toISOString();
    const entry = buildVersionEntry(composerJson, {
      version,
      versionNormalized,
      time: now,
      distReference: sha1,
    });
    // Insert-only: of two concurrent uploads of the same version (in any process), one wins and
    // the other is told what is there (same bytes: 200, other bytes: 409).
    const inserted = await this.#records.insertVersionIfAbsent(
      {
        id: newId(),
        packageName: composerJson.name,
        version,
        versionNormalized,
        isDev: parseStability(versionNormalized) === "dev",
        origin: "upload",
        repositoryId: null,
        reference: sha1,
        metadata: JSON.stringify(entry),
        distSha256: blob.sha256,
        distSha1: sha1,
        distSize: blob.size,
      },
      now,
    );
    if (!inserted) {
      const winner = await this.#records.findVersion(composerJson.name, versionNormalized);
      if (winner !== null) return this.#alreadyThere(winner, sha1);
    }
    return {
      packageName: composerJson.name,
      version,
      versionNormalized,
      distSha1: sha1,
      distSha256: blob.sha256,
      size: blob.size,
      created: true,
    };
  }

  #alreadyThere(existing: StoredVersion, sha1: string): UploadedVersion {
    if (existing.distSha1 !== sha1) {
      throw conflict(
        "VersionAlreadyExists",
        `${existing.packageName} ${existing.version} already exists with other contents; versions are immutable, publish a new version`,
      );
    }
    return {
      packageName: existing.packageName,
      version: existing.version,
      versionNormalized: existing.versionNormalized,
      distSha1: existing.distSha1,
      distSha256: existing.distSha256,
      size: existing.distSize,
      created: false,
    };
  }
}
