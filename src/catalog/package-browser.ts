import { requirePermission, type AccessGrant } from "../access/access-grant.ts";
import type { Clock } from "../clock/clock.ts";
import { isValidPackageName } from "../composer/package-name.ts";
import {
  compareNewestFirst,
  parseStability,
  tryNormalizeVersion,
  type Stability,
} from "../composer/version-parser.ts";
import { invalidInput, notFound, type DomainError } from "../errors/domain-error.ts";
import type {
  CatalogRecords,
  StoredPackage,
  StoredVersion,
  VersionSummary,
} from "../storage/database/catalog-records.ts";
import type { VersionOrigin } from "../storage/database/database-schema.ts";
import type { DailyInstalls, InstallCountRecords } from "../storage/database/install-count-records.ts";
import { shownName } from "./dist-url.ts";
import { decodePackageCursor, encodePackageCursor } from "./package-cursor.ts";
import { describeVersion, type VersionDescription } from "./version-description.ts";

/** Packages per page of `list`: the default and the most. */
export const PACKAGE_PAGE_SIZE = { default: 50, max: 200 } as const;

/** Days of the per-day download series: the default and the most. */
export const DOWNLOAD_DAYS = { default: 30, max: 366 } as const;

/** A package as a list shows it. */
export interface PackageSummary {
  readonly name: string;
  /** The description of the version the package is described by (see `describedBy`). */
  readonly description: string | null;
  /** The newest stable version (Composer's ordering), as published; null when there is none. */
  readonly latestVersion: string | null;
  readonly versionCount: number;
  /** Where the version the package is described by comes from. */
  readonly origin: VersionOrigin;
  readonly repositoryId: string | null;
  /** Installs reported by Composer, all versions and all time. */
  readonly downloads: number;
  readonly updatedAt: string;
}

export interface PackagePage {
  readonly packages: readonly PackageSummary[];
  /** Continues after this page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface PackageVersionDetails {
  readonly version: string;
  readonly versionNormalized: string;
  readonly isDev: boolean;
  readonly stability: Stability;
  readonly reference: string;
  readonly dist: { readonly sha256: string; readonly sha1: string; readonly size: number };
  /** The release time as published (composer.json's `time`, or the commit's time for git). */
  readonly time: string | null;
  readonly origin: VersionOrigin;
  readonly repositoryId: string | null;
  readonly downloads: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface PackageDetails extends PackageSummary {
  readonly createdAt: string;
  /** What the version the package is described by says: its newest stable version, else its newest. */
  readonly latest: Omit<VersionDescription, "description" | "time"> & {
    readonly version: string;
    readonly versionNormalized: string;
  };
  /** Newest first. */
  readonly versions: readonly PackageVersionDetails[];
}

export interface PackageDownloads {
  readonly name: string;
  /** The version counted, as published; null for every version of the package. */
  readonly version: string | null;
  readonly versionNormalized: string | null;
  /** All time. */
  readonly total: number;
  readonly days: number;
  /** The first and last UTC day of the series (YYYY-MM-DD); the last is today. */
  readonly from: string;
  readonly to: string;
  /** Installs within the series. */
  readonly periodTotal: number;
  /** One entry per UTC day, oldest first, days without installs included (0). */
  readonly daily: readonly DailyInstalls[];
}

export interface PackageListOptions {
  /** Part of the name to look for (case-insensitive); empty: every package. */
  readonly search?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** Names scanned per query while looking for packages a limited token may see (doubles up to this). */
const MAX_SCAN_CHUNK = 4000;

/**
 * Browsing the catalog: a paged, searchable list of packages, one package with its versions, and
 * its download counts. Only what the grant's package patterns allow is listed, looked up or
 * counted; a package the grant may not see is "not found", exactly like a missing one.
 */
export class PackageBrowser {
  readonly #catalog: CatalogRecords;
  readonly #installs: InstallCountRecords;
  readonly #clock: Clock;

  constructor(options: { catalog: CatalogRecords; installs: InstallCountRecords; clock: Clock }) {
    this.#catalog = options.catalog;
    this.#installs = options.installs;
    this.#clock = options.clock;
  }

  /** Packages in name order, a keyset page at a time. */
  async list(grant: AccessGrant, options: PackageListOptions = {}): Promise<PackagePage> {
    requirePermission(grant, "packages:read");
    const limit = options.limit ?? PACKAGE_PAGE_SIZE.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > PACKAGE_PAGE_SIZE.max) {
      throw invalidInput("InvalidLimit", `limit must be a whole number from 1 to ${PACKAGE_PAGE_SIZE.max}`, {
        parameter: "limit",
      });
    }
    const search = options.search?.trim().toLowerCase() ?? "";
    let after = options.cursor === undefined ? null : decodePackageCursor(options.cursor);
    // A token that sees every package needs one query; a limited one reads the names in growing
    // chunks until the page (and one more, to know whether there is a next page) is full.
    let chunk = grant.patternsKey === "" ? limit + 1 : Math.max(4 * (limit + 1), 500);
    const visible: StoredPackage[] = [];
    for (;;) {
      const rows = await this.#catalog.packagePage({
        after,
        search: search === "" ? null : search,
        limit: chunk,
      });
      for (const row of rows) {
        if (grant.canSeePackage(row.name)) visible.push(row);
        if (visible.length > limit) break;
      }
      const last = rows.at(-1);
      if (visible.length > limit || rows.length < chunk || last === undefined) break;
      after = last.name;
      chunk = Math.min(chunk * 2, MAX_SCAN_CHUNK);
    }
    const page = visible.slice(0, limit);
    const lastOfPage = page.at(-1);
    return {
      packages: await this.#summaries(page),
      nextCursor:
        visible.length > limit && lastOfPage !== undefined ? encodePackageCursor(lastOfPage.name) : null,
    };
  }

  /** One package with every version, newest first. */
  async get(grant: AccessGrant, name: string): Promise<PackageDetails> {
    requirePermission(grant, "packages:read");
    const packageName = visibleName(grant, name);
    const stored = await this.#catalog.findPackage(packageName);
    if (stored === null) throw packageNotFound(name);
    const [versions, counts] = await Promise.all([
      this.#catalog.packageVersions(packageName),
      this.#installs.totals(packageName),
    ]);
    versions.sort((a, b) => compareNewestFirst(a.versionNormalized, b.versionNormalized));
    const described = describedBy(versions);
    if (described === undefined) throw packageNotFound(name);
    const perVersion = new Map(counts.map((count) => [count.versionNormalized, count.count]));
    const about = describeVersion(described.metadata);
    return {
      name: packageName,
      description: about.description,
      latestVersion: latestStable(versions)?.version ?? null,
      versionCount: versions.length,
      origin: described.origin,
      repositoryId: described.repositoryId,
      downloads: counts.reduce((sum, count) => sum + count.count, 0),
      updatedAt: stored.updatedAt,
      createdAt: stored.createdAt,
      latest: {
        version: described.version,
        versionNormalized: described.versionNormalized,
        type: about.type,
        license: about.license,
        homepage: about.homepage,
        keywords: about.keywords,
        require: about.require,
        requireDev: about.requireDev,
        conflict: about.conflict,
        replace: about.replace,
        provide: about.provide,
        suggest: about.suggest,
      },
      versions: versions.map((version) => ({
        version: version.version,
        versionNormalized: version.versionNormalized,
        isDev: version.isDev,
        stability: parseStability(version.versionNormalized),
        reference: version.reference,
        dist: { sha256: version.distSha256, sha1: version.distSha1, size: version.distSize },
        time: describeVersion(version.metadata).time,
        origin: version.origin,
        repositoryId: version.repositoryId,
        downloads: perVersion.get(version.versionNormalized) ?? 0,
        createdAt: version.createdAt,
        updatedAt: version.updatedAt,
      })),
    };
  }

  /**
   * Download counts of a package, or of one of its versions (as published, `1.2.0`, or normalized,
   * `1.2.0.0`): the all-time total and one count per UTC day for the last `days` days, today included.
   */
  async downloads(
    grant: AccessGrant,
    name: string,
    options: { readonly days?: number; readonly version?: string } = {},
  ): Promise<PackageDownloads> {
    requirePermission(grant, "packages:read");
    const days = options.days ?? DOWNLOAD_DAYS.default;
    if (!Number.isInteger(days) || days < 1 || days > DOWNLOAD_DAYS.max) {
      throw invalidInput("InvalidDays", `days must be a whole number from 1 to ${DOWNLOAD_DAYS.max}`, {
        parameter: "days",
      });
    }
    const packageName = visibleName(grant, name);
    if ((await this.#catalog.findPackage(packageName)) === null) throw packageNotFound(name);
    let version: StoredVersion | null = null;
    if (options.version !== undefined) {
      version = await this.#findVersion(packageName, options.version);
      if (version === null) {
        throw notFound(
          "VersionNotFound",
          `no version ${shownName(options.version)} of ${shownName(packageName)}`,
        );
      }
    }
    const now = this.#clock.now();
    const to = utcDay(now, 0);
    const from = utcDay(now, days - 1);
    const [rows, totals] = await Promise.all([
      this.#installs.daily(packageName, {
        from,
        to,
        ...(version === null ? {} : { versionNormalized: version.versionNormalized }),
      }),
      this.#installs.totals(packageName),
    ]);
    const counted = new Map(rows.map((row) => [row.day, row.count]));
    const daily = Array.from({ length: days }, (_, index) => {
      const day = utcDay(now, days - 1 - index);
      return { day, count: counted.get(day) ?? 0 };
    });
    return {
      name: packageName,
      version: version?.version ?? null,
      versionNormalized: version?.versionNormalized ?? null,
      total: totals
        .filter((total) => version === null || total.versionNormalized === version.versionNormalized)
        .reduce((sum, total) => sum + total.count, 0),
      days,
      from,
      to,
      periodTotal: daily.reduce((sum, entry) => sum + entry.count, 0),
      daily,
    };
  }

  async #findVersion(name: string, version: string): Promise<StoredVersion | null> {
    const exact = await this.#catalog.findVersion(name, version);
    if (exact !== null) return exact;
    const normalized = tryNormalizeVersion(version);
    return normalized === null ? null : this.#catalog.findVersion(name, normalized);
  }

  /** The list entries of these packages, in the same order; one that lost its last version meanwhile is left out. */
  async #summaries(page: readonly StoredPackage[]): Promise<PackageSummary[]> {
    const names = page.map((stored) => stored.name);
    const [versions, downloads] = await Promise.all([
      this.#catalog.versionSummaries(names),
      this.#installs.packageTotals(names),
    ]);
    const byPackage = new Map<string, VersionSummary[]>();
    for (const version of versions) {
      const list = byPackage.get(version.packageName);
      if (list === undefined) byPackage.set(version.packageName, [version]);
      else list.push(version);
    }
    for (const list of byPackage.values()) {
      list.sort((a, b) => compareNewestFirst(a.versionNormalized, b.versionNormalized));
    }
    const describedIds = [...byPackage.values()].flatMap((list) => describedBy(list)?.id ?? []);
    const metadata = await this.#catalog.versionMetadata(describedIds);
    return page.flatMap((stored): PackageSummary[] => {
      const list = byPackage.get(stored.name) ?? [];
      const described = describedBy(list);
      if (described === undefined) return [];
      const text = metadata.get(described.id);
      return [
        {
          name: stored.name,
          description: text === undefined ? null : describeVersion(text).description,
          latestVersion: latestStable(list)?.version ?? null,
          versionCount: list.length,
          origin: described.origin,
          repositoryId: described.repositoryId,
          downloads: downloads.get(stored.name) ?? 0,
          updatedAt: stored.updatedAt,
        },
      ];
    });
  }
}

/** A name from a request, lower-cased; throws not-found unless it is valid and the grant may see it. */
function visibleName(grant: AccessGrant, name: string): string {
  const packageName = name.toLowerCase();
  if (!isValidPackageName(packageName) || !grant.canSeePackage(packageName)) throw packageNotFound(name);
  return packageName;
}

/** Of versions sorted newest first: the newest stable one. */
function latestStable<T extends Pick<VersionSummary, "isDev" | "versionNormalized">>(
  newestFirst: readonly T[],
): T | undefined {
  return newestFirst.find(
    (version) => !version.isDev && parseStability(version.versionNormalized) === "stable",
  );
}

/** Of versions sorted newest first: the newest stable one, else the newest release, else the newest. */
export function describedBy<T extends Pick<VersionSummary, "isDev" | "versionNormalized">>(
  newestFirst: readonly T[],
): T | undefined {
  return latestStable(newestFirst) ?? newestFirst.find((version) => !version.isDev) ?? newestFirst[0];
}

/** The UTC day `daysBefore` days before `now`, as YYYY-MM-DD. */
function utcDay(now: Date, daysBefore: number): string {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysBefore);
  return new Date(day).toISOString().slice(0, 10);
}

/** The name comes from the URL: it is quoted and shortened, never echoed at length. */
function packageNotFound(name: string): DomainError {
  return notFound("PackageNotFound", `package ${shownName(name)} does not exist`);
}
