import { sql, type Kysely, type SqlBool, type Transaction } from "kysely";
import type { Database, PackageVersionsTable, VersionOrigin } from "./database-schema.ts";

export interface StoredVersion {
  readonly id: string;
  readonly packageName: string;
  readonly version: string;
  readonly versionNormalized: string;
  readonly isDev: boolean;
  readonly origin: VersionOrigin;
  readonly repositoryId: string | null;
  readonly reference: string;
  /** The version entry as served, minus `dist` (JSON text). */
  readonly metadata: string;
  readonly distSha256: string;
  readonly distSha1: string;
  readonly distSize: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type NewVersion = Omit<StoredVersion, "createdAt" | "updatedAt">;

/** A package as the `packages` table has it: its name and change stamps. */
export interface StoredPackage {
  readonly name: string;
  readonly createdAt: string;
  /** The Last-Modified of its p2 documents. */
  readonly updatedAt: string;
}

/** A version without its metadata and dist: enough to order, count and label it. */
export type VersionSummary = Pick<
  StoredVersion,
  "id" | "packageName" | "version" | "versionNormalized" | "isDev" | "origin" | "repositoryId"
>;

export interface CatalogRevision {
  readonly revision: number;
  readonly changedAt: string;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Rolls back an insert-only write that found the version already there. */
class VersionExists extends Error {}

/**
 * Packages and their versions. Every change bumps the package's `updated_at` (the Last-Modified
 * of its p2 documents) and the catalog revision (the Last-Modified of packages.json), in the
 * same transaction as the change.
 */
export class CatalogRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async revision(): Promise<CatalogRevision> {
    const row = await this.#db
      .selectFrom("catalog_state")
      .select(["revision", "changed_at"])
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    return { revision: row.revision, changedAt: row.changed_at };
  }

  /**
   * Bumps the catalog revision without a package change: packages.json changes for another reason
   * (a composer upstream was added, changed or removed, so its package patterns did).
   */
  async touchCatalog(now: string): Promise<void> {
    await this.#db.transaction().execute((trx) => bumpRevision(trx, now));
  }

  async packageNames(): Promise<string[]> {
    const rows = await this.#db.selectFrom("packages").select("name").orderBy("name").execute();
    return rows.map((row) => row.name);
  }

  /**
   * Packages in name order, after `after` (exclusive) when given, whose name contains `search`
   * (matched as lower-case text, no wildcards). The order is the database's order of the column,
   * which is what `after` continues in, so keyset pages never skip or repeat a package.
   */
  async packagePage(options: {
    readonly after: string | null;
    readonly search: string | null;
    readonly limit: number;
  }): Promise<StoredPackage[]> {
    let query = this.#db
      .selectFrom("packages")
      .select(["name", "created_at", "updated_at"])
      .orderBy("name")
      .limit(options.limit);
    const { after, search } = options;
    if (after !== null) query = query.where("name", ">", after);
    if (search !== null && search !== "") {
      const pattern = `%${escapeLike(search.toLowerCase())}%`;
      query = query.where(sql<SqlBool>`name like ${pattern} escape '!'`);
    }
    const rows = await query.execute();
    return rows.map((row) => ({ name: row.name, createdAt: row.created_at, updatedAt: row.updated_at }));
  }

  async findPackage(name: string): Promise<StoredPackage | null> {
    const row = await this.#db
      .selectFrom("packages")
      .select(["name", "created_at", "updated_at"])
      .where("name", "=", name)
      .executeTakeFirst();
    return row === undefined
      ? null
      : { name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  /** Every version of these packages, without metadata or dist, in no particular order. */
  async versionSummaries(names: readonly string[]): Promise<VersionSummary[]> {
    if (names.length === 0) return [];
    const rows = await this.#db
      .selectFrom("package_versions")
      .select(VERSION_SUMMARY_COLUMNS)
      .where("package_name", "in", [...names])
      .execute();
    return rows.map(toVersionSummary);
  }

  /** The stored metadata (JSON text) of these versions, by version id; absent ids are left out. */
  async versionMetadata(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom("package_versions")
      .select(["id", "metadata"])
      .where("id", "in", [...ids])
      .execute();
    return new Map(rows.map((row) => [row.id, row.metadata]));
  }

  /** Every version of the package, stable and dev, in no particular order. */
  async packageVersions(name: string): Promise<StoredVersion[]> {
    const rows = await this.#db
      .selectFrom("package_versions")
      .selectAll()
      .where("package_name", "=", name)
      .execute();
    return rows.map(toStoredVersion);
  }

  /** When the package last changed, or null when it has no versions. */
  async packageUpdatedAt(name: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom("packages")
      .select("updated_at")
      .where("name", "=", name)
      .executeTakeFirst();
    return row?.updated_at ?? null;
  }

  async versions(name: string, dev: boolean): Promise<StoredVersion[]> {
    const rows = await this.#db
      .selectFrom("package_versions")
      .selectAll()
      .where("package_name", "=", name)
      .where("is_dev", "=", dev ? 1 : 0)
      .execute();
    return rows.map(toStoredVersion);
  }

  async findVersion(name: string, versionNormalized: string): Promise<StoredVersion | null> {
    const row = await this.#db
      .selectFrom("package_versions")
      .selectAll()
      .where("package_name", "=", name)
      .where("version_normalized", "=", versionNormalized)
      .executeTakeFirst();
    return row === undefined ? null : toStoredVersion(row);
  }

  async versionsOfRepository(repositoryId: string): Promise<StoredVersion[]> {
    const rows = await this.#db
      .selectFrom("package_versions")
      .selectAll()
      .where("repository_id", "=", repositoryId)
      .execute();
    return rows.map(toStoredVersion);
  }

  /** Inserts or replaces the version (by name and normalized version). */
  async saveVersion(version: NewVersion, now: string): Promise<void> {
    await this.#write(version, now, "replace");
  }

  /**
   * Inserts the version unless one with the same name and normalized version exists, atomically
   * (whichever process or node races): returns false, changing nothing, when it exists.
   */
  async insertVersionIfAbsent(version: NewVersion, now: string): Promise<boolean> {
    return this.#write(version, now, "insert-only");
  }

  async #write(version: NewVersion, now: string, mode: "replace" | "insert-only"): Promise<boolean> {
    return this.#db
      .transaction()
      .execute(async (trx) => {
        await touchPackage(trx, version.packageName, now);
        const row = {
          id: version.id,
          package_name: version.packageName,
          version: version.version,
          version_normalized: version.versionNormalized,
          is_dev: version.isDev ? 1 : 0,
          origin: version.origin,
          repository_id: version.repositoryId,
          reference: version.reference,
          metadata: version.metadata,
          dist_sha256: version.distSha256,
          dist_sha1: version.distSha1,
          dist_size: version.distSize,
          created_at: now,
          updated_at: now,
        };
        const changes = { ...row } as Partial<typeof row>;
        delete changes.id;
        delete changes.created_at;
        const result = await trx
          .insertInto("package_versions")
          .values(row)
          .onConflict((oc) =>
            mode === "replace"
              ? oc.columns(["package_name", "version_normalized"]).doUpdateSet(changes)
              : oc.columns(["package_name", "version_normalized"]).doNothing(),
          )
          .executeTakeFirst();
        if (mode === "insert-only" && Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) {
          // Nothing changed: undo the package touch by rolling back.
          throw new VersionExists();
        }
        await bumpRevision(trx, now);
        return true;
      })
      .catch((error: unknown) => {
        if (error instanceof VersionExists) return false;
        throw error;
      });
  }

  /** Removes a version; the package disappears with its last version. Returns false when absent. */
  async deleteVersion(name: string, versionNormalized: string, now: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom("package_versions")
        .where("package_name", "=", name)
        .where("version_normalized", "=", versionNormalized)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      const left = await trx
        .selectFrom("package_versions")
        .select("id")
        .where("package_name", "=", name)
        .limit(1)
        .executeTakeFirst();
      if (left === undefined) {
        await trx.deleteFrom("packages").where("name", "=", name).execute();
      } else {
        await touchPackage(trx, name, now);
      }
      await bumpRevision(trx, now);
      return true;
    });
  }

  /** Whether any version still serves this dist (before its blob may be deleted). */
  async distInUse(sha256: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom("package_versions")
      .select("id")
      .where("dist_sha256", "=", sha256)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

/**
 * HTTP dates have whole seconds, and Composer revalidates with If-Modified-Since. A change made in
 * the same second as the previous one must still move Last-Modified, or a client would be told
 * "304 Not Modified" about it. So change stamps are whole seconds, each at least one second after
 * the previous stamp of the same document.
 */
export function nextChangeStamp(previous: string | null, now: string): string {
  const nowSeconds = Math.ceil(Date.parse(now) / 1000);
  const previousSeconds = previous === null ? 0 : Math.floor(Date.parse(previous) / 1000);
  return new Date(Math.max(nowSeconds, previousSeconds + 1) * 1000).toISOString();
}

async function touchPackage(db: Db, name: string, now: string): Promise<void> {
  const inserted = await db
    .insertInto("packages")
    .values({ name, created_at: now, updated_at: "1970-01-01T00:00:00.000Z" })
    .onConflict((oc) => oc.column("name").doNothing())
    .executeTakeFirst();
  // Lock the row first (PostgreSQL), so that concurrent writers compute from the latest stamp.
  await db
    .updateTable("packages")
    .set((eb) => ({ updated_at: eb.ref("updated_at") }))
    .where("name", "=", name)
    .execute();
  const row = await db
    .selectFrom("packages")
    .select("updated_at")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  let previous = row.updated_at;
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
    // A package back after losing its last version was served before, with a stamp no later than
    // the catalog's (every change moves the catalog stamp at least as far): start after that one.
    const state = await db
      .selectFrom("catalog_state")
      .select("changed_at")
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    previous = state.changed_at;
  }
  await db
    .updateTable("packages")
    .set({ updated_at: nextChangeStamp(previous, now) })
    .where("name", "=", name)
    .execute();
}

async function bumpRevision(db: Db, now: string): Promise<void> {
  // The increment takes the row lock; the stamp is then computed from the committed latest value.
  await db
    .updateTable("catalog_state")
    .set((eb) => ({ revision: eb("revision", "+", 1) }))
    .where("id", "=", 1)
    .execute();
  const state = await db
    .selectFrom("catalog_state")
    .select("changed_at")
    .where("id", "=", 1)
    .executeTakeFirstOrThrow();
  await db
    .updateTable("catalog_state")
    .set({ changed_at: nextChangeStamp(state.changed_at, now) })
    .where("id", "=", 1)
    .execute();
}

/** LIKE's wildcards and the escape character itself, escaped with `!` (`escape '!'`). */
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (character) => `!${character}`);
}

/** The columns of a version's summary (no metadata, no dist). */
const VERSION_SUMMARY_COLUMNS = [
  "id",
  "package_name",
  "version",
  "version_normalized",
  "is_dev",
  "origin",
  "repository_id",
] as const;

function toVersionSummary(
  row: Pick<PackageVersionsTable, (typeof VERSION_SUMMARY_COLUMNS)[number]>,
): VersionSummary {
  return {
    id: row.id,
    packageName: row.package_name,
    version: row.version,
    versionNormalized: row.version_normalized,
    isDev: row.is_dev === 1,
    origin: row.origin,
    repositoryId: row.repository_id,
  };
}

function toStoredVersion(row: PackageVersionsTable): StoredVersion {
  return {
    ...toVersionSummary(row),
    reference: row.reference,
    metadata: row.metadata,
    distSha256: row.dist_sha256,
    distSha1: row.dist_sha1,
    distSize: row.dist_size,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
