import type { Kysely } from "kysely";
import type { Database, ProxyVersionsTable } from "./database-schema.ts";

/** What a composer upstream last said about one p2 document. */
export interface ProxyDocument {
  readonly repositoryId: string;
  readonly packageName: string;
  readonly dev: boolean;
  /** False: the upstream answered 404. */
  readonly found: boolean;
  /** version_normalized of each listed version, in the upstream's order. */
  readonly versions: readonly string[];
  readonly upstreamLastModified: string | null;
  readonly checkedAt: string;
  /** Whole seconds: the Last-Modified of the served document. */
  readonly changedAt: string;
}

/** One proxied version in the integrity ledger. */
export interface ProxyVersion {
  readonly repositoryId: string;
  readonly packageName: string;
  readonly versionNormalized: string;
  /** JSON: the expanded entry as first seen, with the upstream's dist. */
  readonly entry: string;
  readonly reference: string | null;
  readonly distKey: string;
  readonly upstreamDistUrl: string | null;
  readonly upstreamShasum: string | null;
  readonly distSha256: string | null;
  readonly distSha1: string | null;
  readonly distSize: number | null;
  readonly firstSeenAt: string;
  readonly downloadedAt: string | null;
  readonly conflictingEntry: string | null;
  readonly conflictSeenAt: string | null;
}

/** What the store holds of one upstream. */
export interface ProxyStoreCounts {
  /** Packages the upstream has (p2 documents it answered, dev ones not counted twice). */
  readonly cachedPackages: number;
  readonly cachedDists: number;
  readonly integrityConflicts: number;
}

export type NewProxyVersion = Pick<
  ProxyVersion,
  | "repositoryId"
  | "packageName"
  | "versionNormalized"
  | "entry"
  | "reference"
  | "distKey"
  | "upstreamDistUrl"
  | "upstreamShasum"
  | "firstSeenAt"
>;

/** An upstream's change feed and the `since` of its next request. */
export interface ProxyChangeFeed {
  readonly changesUrl: string;
  readonly since: string | null;
}

/** A name two upstreams both have; the first in priority serves it. */
export interface ProxyNameConflict {
  readonly packageName: string;
  readonly servedBy: { readonly id: string; readonly name: string };
  readonly shadowed: { readonly id: string; readonly name: string };
  readonly firstSeenAt: string;
}

/** The stored state of mirrored upstream documents and the integrity ledger (docs/proxy.md). */
export class ProxyRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async findDocument(repositoryId: string, packageName: string, dev: boolean): Promise<ProxyDocument | null> {
    const row = await this.#db
      .selectFrom("proxy_documents")
      .selectAll()
      .where("repository_id", "=", repositoryId)
      .where("package_name", "=", packageName)
      .where("dev", "=", dev ? 1 : 0)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      repositoryId: row.repository_id,
      packageName: row.package_name,
      dev: row.dev === 1,
      found: row.found === 1,
      versions: JSON.parse(row.versions) as string[],
      upstreamLastModified: row.upstream_last_modified,
      checkedAt: row.checked_at,
      changedAt: row.changed_at,
    };
  }

  async saveDocument(document: ProxyDocument): Promise<void> {
    const values = {
      found: document.found ? 1 : 0,
      versions: JSON.stringify(document.versions),
      upstream_last_modified: document.upstreamLastModified,
      checked_at: document.checkedAt,
      changed_at: document.changedAt,
    };
    await this.#db
      .insertInto("proxy_documents")
      .values({
        repository_id: document.repositoryId,
        package_name: document.packageName,
        dev: document.dev ? 1 : 0,
        ...values,
      })
      .onConflict((oc) => oc.columns(["repository_id", "package_name", "dev"]).doUpdateSet(values))
      .execute();
  }

  /** The ledger rows of a package at one upstream. */
  async versions(repositoryId: string, packageName: string): Promise<Map<string, ProxyVersion>> {
    const rows = await this.#db
      .selectFrom("proxy_versions")
      .selectAll()
      .where("repository_id", "=", repositoryId)
      .where("package_name", "=", packageName)
      .execute();
    return new Map(rows.map((row) => [row.version_normalized, toVersion(row)]));
  }

  /** Adds a version to the ledger unless it is there already (the first-seen entry stays). */
  async recordVersion(version: NewProxyVersion): Promise<void> {
    await this.#db
      .insertInto("proxy_versions")
      .values({
        repository_id: version.repositoryId,
        package_name: version.packageName,
        version_normalized: version.versionNormalized,
        entry: version.entry,
        reference: version.reference,
        dist_key: version.distKey,
        upstream_dist_url: version.upstreamDistUrl,
        upstream_shasum: version.upstreamShasum,
        dist_sha256: null,
        dist_sha1: null,
        dist_size: null,
        first_seen_at: version.firstSeenAt,
        downloaded_at: null,
        conflicting_entry: null,
        conflict_seen_at: null,
      })
      .onConflict((oc) => oc.columns(["repository_id", "package_name", "version_normalized"]).doNothing())
      .execute();
  }

  /** Keeps the last entry an upstream served that differs from the first-seen one. */
  async recordConflict(
    key: Pick<ProxyVersion, "repositoryId" | "packageName" | "versionNormalized">,
    entry: string,
    at: string,
  ): Promise<void> {
    await this.#db
      .updateTable("proxy_versions")
      .set({ conflicting_entry: entry, conflict_seen_at: at })
      .where("repository_id", "=", key.repositoryId)
      .where("package_name", "=", key.packageName)
      .where("version_normalized", "=", key.versionNormalized)
      .execute();
  }

  /** The ledger rows of an upstream whose version it later served differently, by package and version. */
  async conflicts(repositoryId: string): Promise<ProxyVersion[]> {
    const rows = await this.#db
      .selectFrom("proxy_versions")
      .selectAll()
      .where("repository_id", "=", repositoryId)
      .where("conflicting_entry", "is not", null)
      .orderBy("package_name")
      .orderBy("version_normalized")
      .execute();
    return rows.map(toVersion);
  }

  async counts(repositoryId: string): Promise<ProxyStoreCounts> {
    const packages = await this.#db
      .selectFrom("proxy_documents")
      .select((eb) => eb.fn.count<number | string>("package_name").distinct().as("n"))
      .where("repository_id", "=", repositoryId)
      .where("found", "=", 1)
      .executeTakeFirstOrThrow();
    const versions = await this.#db
      .selectFrom("proxy_versions")
      .select((eb) => [
        eb.fn.count<number | string>("dist_sha256").as("dists"),
        eb.fn.count<number | string>("conflicting_entry").as("conflicts"),
      ])
      .where("repository_id", "=", repositoryId)
      .executeTakeFirstOrThrow();
    return {
      cachedPackages: Number(packages.n),
      cachedDists: Number(versions.dists),
      integrityConflicts: Number(versions.conflicts),
    };
  }

  /** The ledger rows a dist URL names (one per upstream that served that exact dist). */
  async findDist(packageName: string, versionNormalized: string, distKey: string): Promise<ProxyVersion[]> {
    const rows = await this.#db
      .selectFrom("proxy_versions")
      .selectAll()
      .where("package_name", "=", packageName)
      .where("version_normalized", "=", versionNormalized)
      .where("dist_key", "=", distKey)
      .orderBy("first_seen_at")
      .execute();
    return rows.map(toVersion);
  }

  /** Records the stored dist of a version; a dist once recorded is never replaced. */
  async recordDist(
    key: Pick<ProxyVersion, "repositoryId" | "packageName" | "versionNormalized">,
    dist: { sha256: string; sha1: string; size: number; at: string },
  ): Promise<void> {
    await this.#db
      .updateTable("proxy_versions")
      .set({ dist_sha256: dist.sha256, dist_sha1: dist.sha1, dist_size: dist.size, downloaded_at: dist.at })
      .where("repository_id", "=", key.repositoryId)
      .where("package_name", "=", key.packageName)
      .where("version_normalized", "=", key.versionNormalized)
      .where("dist_sha256", "is", null)
      .execute();
  }
}

/** Change feeds and name conflicts of composer upstreams (migration 0011). */
export class ProxyUpstreamRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Names of the packages an upstream has, as the store holds them (tagged or dev document). */
  async heldPackages(repositoryId: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("proxy_documents")
      .select("package_name")
      .distinct()
      .where("repository_id", "=", repositoryId)
      .where("found", "=", 1)
      .orderBy("package_name")
      .execute();
    return rows.map((row) => row.package_name);
  }

  async changeFeed(repositoryId: string): Promise<ProxyChangeFeed | null> {
    const row = await this.#db
      .selectFrom("proxy_change_feeds")
      .select(["changes_url", "since"])
      .where("repository_id", "=", repositoryId)
      .executeTakeFirst();
    return row === undefined ? null : { changesUrl: row.changes_url, since: row.since };
  }

  /** Stores the feed's URL and cursor; null `changesUrl`: the upstream has no feed (any is forgotten). */
  async saveChangeFeed(repositoryId: string, feed: ProxyChangeFeed | null, at: string): Promise<void> {
    if (feed === null) {
      await this.#db.deleteFrom("proxy_change_feeds").where("repository_id", "=", repositoryId).execute();
      return;
    }
    const values = { changes_url: feed.changesUrl, since: feed.since, updated_at: at };
    await this.#db
      .insertInto("proxy_change_feeds")
      .values({ repository_id: repositoryId, ...values })
      .onConflict((oc) => oc.column("repository_id").doUpdateSet(values))
      .execute();
  }

  /** Records that `shadowed` also has a name `servedBy` serves; true the first time for the pair. */
  async recordNameConflict(
    packageName: string,
    servedBy: string,
    shadowed: string,
    at: string,
  ): Promise<boolean> {
    const result = await this.#db
      .insertInto("proxy_name_conflicts")
      .values({ package_name: packageName, served_by: servedBy, shadowed, first_seen_at: at })
      .onConflict((oc) => oc.columns(["package_name", "served_by", "shadowed"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** The name conflicts an upstream is part of (serving or shadowed), by name. */
  async nameConflicts(repositoryId: string): Promise<ProxyNameConflict[]> {
    const rows = await this.#db
      .selectFrom("proxy_name_conflicts as c")
      .innerJoin("repositories as s", "s.id", "c.served_by")
      .innerJoin("repositories as h", "h.id", "c.shadowed")
      .select([
        "c.package_name",
        "c.served_by",
        "s.name as served_name",
        "c.shadowed",
        "h.name as shadowed_name",
        "c.first_seen_at",
      ])
      .where((eb) => eb.or([eb("c.served_by", "=", repositoryId), eb("c.shadowed", "=", repositoryId)]))
      .orderBy("c.package_name")
      .orderBy("c.served_by")
      .orderBy("c.shadowed")
      .execute();
    return rows.map((row) => ({
      packageName: row.package_name,
      servedBy: { id: row.served_by, name: row.served_name },
      shadowed: { id: row.shadowed, name: row.shadowed_name },
      firstSeenAt: row.first_seen_at,
    }));
  }
}

function toVersion(row: ProxyVersionsTable): ProxyVersion {
  return {
    repositoryId: row.repository_id,
    packageName: row.package_name,
    versionNormalized: row.version_normalized,
    entry: row.entry,
    reference: row.reference,
    distKey: row.dist_key,
    upstreamDistUrl: row.upstream_dist_url,
    upstreamShasum: row.upstream_shasum,
    distSha256: row.dist_sha256,
    distSha1: row.dist_sha1,
    distSize: row.dist_size,
    firstSeenAt: row.first_seen_at,
    downloadedAt: row.downloaded_at,
    conflictingEntry: row.conflicting_entry,
    conflictSeenAt: row.conflict_seen_at,
  };
}
