import { requirePermission, type AccessGrant } from "../access/access-grant.ts";
import { compilePackagePatterns } from "../access/package-pattern.ts";
import { findDistReadme, type DistReadme } from "../composer/dist-readme.ts";
import { isValidPackageName } from "../composer/package-name.ts";
import { compareNewestFirst, parseStability, tryNormalizeVersion } from "../composer/version-parser.ts";
import { notFound, type DomainError } from "../errors/domain-error.ts";
import type { BlobStore } from "../storage/blobs/blob-store.ts";
import { BlobZipReader } from "../storage/blobs/blob-zip-reader.ts";
import type { CatalogRecords } from "../storage/database/catalog-records.ts";
import type { ProxyRecords, ProxyVersion } from "../storage/database/proxy-records.ts";
import type { RepositoryRecords } from "../storage/database/repository-records.ts";
import { shownName } from "./dist-url.ts";
import { describedBy } from "./package-browser.ts";

/** Most bytes of a README an answer carries; beyond, it is cut (`truncated`). */
export const MAX_README_BYTES = 512 * 1024;

/** A version's README, as GET /api/packages/{vendor}/{project}/readme answers it. */
export interface PackageReadmeDocument extends DistReadme {
  readonly name: string;
  /** The version as published. */
  readonly version: string;
}

/** Where the README is read from: the stored dist of one version. */
interface DistLocation {
  readonly version: string;
  readonly versionNormalized: string;
  /** Null: a proxied dist that was never downloaded. */
  readonly sha256: string | null;
  readonly proxied: boolean;
}

/**
 * The README of a package version, read from the version's stored dist archive (dist-readme.ts
 * says which file). The version defaults to the one the package is described by (its newest stable
 * version, else its newest release, else its newest), as the package endpoint's `latest`. Like
 * every package read, a package the grant may not see is "not found", exactly like a missing one.
 *
 * Private packages come from the catalog; a name no private package has may be a proxied one, whose
 * versions are read from the proxy's ledger. A proxied dist is stored only once Composer downloaded
 * it through the broker: until then there is no README to read (ReadmeNotAvailable). Nothing is
 * ever fetched from an upstream here.
 */
export class PackageReadme {
  readonly #catalog: CatalogRecords;
  readonly #blobs: BlobStore;
  readonly #proxy: { readonly records: ProxyRecords; readonly repositories: RepositoryRecords } | null;
  readonly #limits: { readonly maxEntries: number; readonly maxReadmeBytes: number };

  constructor(options: {
    catalog: CatalogRecords;
    blobs: BlobStore;
    proxy?: { records: ProxyRecords; repositories: RepositoryRecords };
    limits: { maxEntries: number; maxReadmeBytes?: number };
  }) {
    this.#catalog = options.catalog;
    this.#blobs = options.blobs;
    this.#proxy = options.proxy ?? null;
    this.#limits = {
      maxEntries: options.limits.maxEntries,
      maxReadmeBytes: options.limits.maxReadmeBytes ?? MAX_README_BYTES,
    };
  }

  async read(
    grant: AccessGrant,
    name: string,
    options: { readonly version?: string } = {},
  ): Promise<PackageReadmeDocument> {
    requirePermission(grant, "packages:read");
    const packageName = name.toLowerCase();
    if (!isValidPackageName(packageName) || !grant.canSeePackage(packageName)) throw packageNotFound(name);
    const location =
      (await this.#catalog.findPackage(packageName)) === null
        ? await this.#proxied(packageName, name, options.version)
        : await this.#private(packageName, name, options.version);
    const shown = `${shownName(packageName)} ${shownName(location.version)}`;
    if (location.sha256 === null) {
      throw notFound(
        "ReadmeNotAvailable",
        `the dist of ${shown} is not cached yet: it is stored the first time Composer downloads it through the broker`,
      );
    }
    const stored = await this.#blobs.head(location.sha256);
    if (stored === null) {
      throw notFound(
        "ReadmeNotAvailable",
        location.proxied
          ? `the dist of ${shown} is not cached yet: it is stored the first time Composer downloads it through the broker`
          : `the dist of ${shown} is missing from storage`,
      );
    }
    const readme = await findDistReadme(
      { reader: new BlobZipReader(this.#blobs, location.sha256, stored.size), size: stored.size },
      this.#limits,
    );
    if (readme === null) throw notFound("ReadmeNotFound", `${shown} has no README`);
    return { name: packageName, version: location.version, ...readme };
  }

  async #private(packageName: string, asked: string, version: string | undefined): Promise<DistLocation> {
    let chosen;
    if (version === undefined) {
      const versions = await this.#catalog.versionSummaries([packageName]);
      versions.sort((a, b) => compareNewestFirst(a.versionNormalized, b.versionNormalized));
      const described = describedBy(versions);
      if (described === undefined) throw packageNotFound(asked);
      chosen = await this.#catalog.findVersion(packageName, described.versionNormalized);
    } else {
      chosen = await this.#catalog.findVersion(packageName, version);
      const normalized = chosen === null ? tryNormalizeVersion(version) : null;
      if (normalized !== null) chosen = await this.#catalog.findVersion(packageName, normalized);
    }
    if (chosen === null) {
      if (version === undefined) throw packageNotFound(asked);
      throw versionNotFound(packageName, version);
    }
    return {
      version: chosen.version,
      versionNormalized: chosen.versionNormalized,
      sha256: chosen.distSha256,
      proxied: false,
    };
  }

  /**
   * The ledger of the upstream that serves the name: the first composer upstream, in priority
   * order, whose patterns allow it and that listed versions of it.
   */
  async #proxied(packageName: string, asked: string, version: string | undefined): Promise<DistLocation> {
    if (this.#proxy === null) throw packageNotFound(asked);
    const { records, repositories } = this.#proxy;
    let ledger: Map<string, ProxyVersion> | undefined;
    for (const upstream of await repositories.list()) {
      if (upstream.type !== "composer" || upstream.metadataUrl === null) continue;
      const allows =
        upstream.packagePatterns.length === 0 ||
        compilePackagePatterns(upstream.packagePatterns)(packageName);
      if (!allows) continue;
      const versions = await records.versions(upstream.id, packageName);
      if (versions.size > 0) {
        ledger = versions;
        break;
      }
    }
    if (ledger === undefined) throw packageNotFound(asked);
    let chosen: ProxyVersion | undefined;
    if (version === undefined) {
      const newestFirst = [...ledger.values()]
        .map((entry) => ({
          entry,
          versionNormalized: entry.versionNormalized,
          isDev: parseStability(entry.versionNormalized) === "dev",
        }))
        .sort((a, b) => compareNewestFirst(a.versionNormalized, b.versionNormalized));
      chosen = describedBy(newestFirst)?.entry;
    } else {
      const normalized = tryNormalizeVersion(version);
      chosen = ledger.get(version) ?? (normalized === null ? undefined : ledger.get(normalized));
    }
    if (chosen === undefined) {
      if (version === undefined) throw packageNotFound(asked);
      throw versionNotFound(packageName, version);
    }
    return {
      version: publishedVersion(chosen),
      versionNormalized: chosen.versionNormalized,
      sha256: chosen.distSha256,
      proxied: true,
    };
  }
}

/** The `version` of the ledger entry as the upstream published it; the normalized one if it has none. */
function publishedVersion(version: ProxyVersion): string {
  try {
    const entry = JSON.parse(version.entry) as { version?: unknown };
    return typeof entry.version === "string" ? entry.version : version.versionNormalized;
  } catch {
    return version.versionNormalized;
  }
}

/** The name comes from the URL: it is quoted and shortened, never echoed at length. */
function packageNotFound(name: string): DomainError {
  return notFound("PackageNotFound", `package ${shownName(name)} does not exist`);
}

function versionNotFound(packageName: string, version: string): DomainError {
  return notFound("VersionNotFound", `no version ${shownName(version)} of ${shownName(packageName)}`);
}
