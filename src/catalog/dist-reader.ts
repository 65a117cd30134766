import { requirePackage, type AccessGrant } from "../access/access-grant.ts";
import { isValidPackageName } from "../composer/package-name.ts";
import { notFound } from "../errors/domain-error.ts";
import type { BlobRange, BlobStore } from "../storage/blobs/blob-store.ts";
import { resolveByteRange, type ByteRangeRequest } from "../storage/blobs/byte-range.ts";
import type { CatalogRecords } from "../storage/database/catalog-records.ts";
import { shownName } from "./dist-url.ts";
import type { ProxiedCatalog, ProxyContext } from "./proxied-catalog.ts";

export interface DistDownload {
  readonly packageName: string;
  readonly versionNormalized: string;
  /** The whole zip's size. */
  readonly size: number;
  readonly sha1: string;
  readonly sha256: string;
  readonly lastModified: Date;
  /** The bytes `stream` carries: null for the whole zip, "unsatisfiable" for none (HTTP 416). */
  readonly range: BlobRange | "unsatisfiable" | null;
  readonly stream: ReadableStream<Uint8Array>;
}

/** What identifies a dist's bytes, for a caller deciding whether a range request still applies. */
export interface DistValidators {
  readonly etag: string;
  readonly lastModified: Date;
}

/** The range a caller wants once it knows the dist's validators (If-Range), or null for all of it. */
export type WantedRange = (validators: DistValidators) => ByteRangeRequest | null;

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
    wanted: WantedRange = () => null,
  ): Promise<DistDownload> {
    const missing = notFound(
      "DistNotFound",
      `no dist for ${shownName(packageName)} ${shownName(versionNormalized)} (${reference})`,
    );
    if (!isValidPackageName(packageName)) throw missing;
    requirePackage(grant, packageName);
    const version = await this.#records.findVersion(packageName, versionNormalized);
    if (version === null && this.#proxy !== null && (await this.#records.findPackage(packageName)) === null) {
      return this.#proxied(packageName, versionNormalized, reference, context, missing, wanted);
    }
    if (version?.reference !== reference) throw missing;
    const dist = await this.#read(
      { packageName, versionNormalized, sha1: version.distSha1, sha256: version.distSha256 },
      version.updatedAt,
      wanted,
    );
    if (dist === null)
      throw notFound(
        "DistNotFound",
        `the dist of ${packageName} ${versionNormalized} is missing from storage`,
      );
    return dist;
  }

  /** A name no private package has: a dist of a proxied package, fetched on its first download. */
  async #proxied(
    packageName: string,
    versionNormalized: string,
    distKey: string,
    context: ProxyContext,
    missing: Error,
    wanted: WantedRange,
  ): Promise<DistDownload> {
    const dist = await this.#proxy?.dist(packageName, versionNormalized, distKey, context);
    if (dist === undefined || dist === null) throw missing;
    const read = await this.#read(
      { packageName, versionNormalized, sha1: dist.sha1, sha256: dist.sha256 },
      dist.downloadedAt,
      wanted,
    );
    if (read === null) throw missing;
    return read;
  }

  /**
   * Opens the blob, or the range of it the caller wants (whose size needs a `head()` first: only
   * range requests pay for it). Null when the blob is not stored.
   */
  async #read(
    dist: Pick<DistDownload, "packageName" | "versionNormalized" | "sha1" | "sha256">,
    changedAt: string,
    wanted: WantedRange,
  ): Promise<DistDownload | null> {
    // Whole seconds: what Last-Modified and If-Range can carry.
    const lastModified = new Date(Math.floor(Date.parse(changedAt) / 1000) * 1000);
    const request = wanted({ etag: `"${dist.sha1}"`, lastModified });
    if (request === null) {
      const blob = await this.#blobs.get(dist.sha256);
      return blob === null
        ? null
        : { ...dist, lastModified, size: blob.size, range: null, stream: blob.stream };
    }
    const stored = await this.#blobs.head(dist.sha256);
    if (stored === null) return null;
    const range = resolveByteRange(request, stored.size);
    if (range === null) {
      return {
        ...dist,
        lastModified,
        size: stored.size,
        range: "unsatisfiable",
        stream: new ReadableStream<Uint8Array>({
          start: (controller) => {
            controller.close();
          },
        }),
      };
    }
    const blob = await this.#blobs.get(dist.sha256, range);
    return blob === null ? null : { ...dist, lastModified, size: blob.size, range, stream: blob.stream };
  }
}
