import { requirePackage, type AccessGrant } from "../access/access-grant.ts";
import { isValidPackageName } from "../composer/package-name.ts";
import { notFound } from "../errors/domain-error.ts";
import type { BlobStore } from "../storage/blobs/blob-store.ts";
import type { CatalogRecords } from "../storage/database/catalog-records.ts";
import { shownName } from "./dist-url.ts";
import type { ProxiedCatalog, ProxyContext } from "./proxied-catalog.ts";

export interface DistDownload {
  readonly packageName: string;
  readonly versionNormalized: string;
  readonly size: number;
  readonly sha1: string;
  readonly sha256: string;
  readonly lastModified: Date;
  readonly stream: ReadableStream<Uint8Array>;
}

/** Opens the zip of one package version for download, after checking the token may see it. */
export class DistReader {
  readonly #records: CatalogRecords;
  readonly #blobs: BlobStore;
  readonly #proxy: ProxiedCatalog | null;

  constructor(options: { records: CatalogRecords; blobs: BlobStore; proxy?: ProxiedCatalog }) {
    this.#records = options.records;
    this.#blobs = options.blobs;
    this.#proxy = options.proxy ?? null;
  }

  async open(
    packageName: string,
    versionNormalized: string,
    reference: string,
    grant: AccessGrant,
    context: ProxyContext = { trail: null },
  ): Promise<DistDownload> {
    const missing = notFound(
      "DistNotFound",
      `no dist for ${shownName(packageName)} ${shownName(versionNormalized)} (${reference})`,
    );
    if (!isValidPackageName(packageName)) throw missing;
    requirePackage(grant, packageName);
    const version = await this.#records.findVersion(packageName, versionNormalized);
    if (version === null && this.#proxy !== null && (await this.#records.findPackage(packageName)) === null) {
      return this.#proxied(packageName, versionNormalized, reference, context, missing);
    }
    if (version?.reference !== reference) throw missing;
    const blob = await this.#blobs.get(version.distSha256);
    if (blob === null)
      throw notFound(
        "DistNotFound",
        `the dist of ${packageName} ${versionNormalized} is missing from storage`,
      );
    return {
      packageName,
      versionNormalized,
      size: blob.size,
      sha1: version.distSha1,
      sha256: version.distSha256,
      lastModified: new Date(Math.floor(Date.parse(version.updatedAt) / 1000) * 1000),
      stream: blob.stream,
    };
  }

  /** A name no private package has: a dist of a proxied package, fetched on its first download. */
  async #proxied(
    packageName: string,
    versionNormalized: string,
    distKey: string,
    context: ProxyContext,
    missing: Error,
  ): Promise<DistDownload> {
    const dist = await this.#proxy?.dist(packageName, versionNormalized, distKey, context);
    if (dist === undefined || dist === null) throw missing;
    const blob = await this.#blobs.get(dist.sha256);
    if (blob === null) throw missing;
    return {
      packageName,
      versionNormalized,
      size: blob.size,
      sha1: dist.sha1,
      sha256: dist.sha256,
      lastModified: new Date(Math.floor(Date.parse(dist.downloadedAt) / 1000) * 1000),
      stream: blob.stream,
    };
  }
}
