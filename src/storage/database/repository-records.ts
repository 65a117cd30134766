import type { Kysely } from "kysely";
import type { Database, RepositoriesTable, RepositoryStatus, RepositoryType } from "./database-schema.ts";
import { ProxyRecords, ProxyUpstreamRecords } from "./proxy-records.ts";

export interface RepositoryRecord {
  readonly id: string;
  readonly name: string;
  readonly type: RepositoryType;
  readonly url: string;
  /** Sealed credentials; only the sync engine opens them. */
  readonly credentials: string | null;
  readonly status: RepositoryStatus;
  readonly defaultBranch: string | null;
  readonly lastError: string | null;
  readonly lastSyncedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Package patterns a composer upstream may provide; empty means any. */
  readonly packagePatterns: readonly string[];
  /** The absolute metadata URL template of a composer upstream. */
  readonly metadataUrl: string | null;
  /** Package patterns a composer upstream's sync mirrors ahead of time; empty: lazy only. */
  readonly eagerPackages: readonly string[];
}

export interface RefRecord {
  readonly ref: string;
  readonly commit: string;
  readonly packageName: string | null;
  readonly versionNormalized: string | null;
  readonly skipReason: string | null;
}

/**
 * Repositories and the last seen state of their refs. What the store holds of a composer upstream
 * (its mirrored documents, ledger, change feed, name conflicts) belongs to the repository (it is
 * deleted with it): `proxy` and `upstreams` reach it.
 */
export class RepositoryRecords {
  readonly #db: Kysely<Database>;
  readonly proxy: ProxyRecords;
  readonly upstreams: ProxyUpstreamRecords;

  constructor(db: Kysely<Database>) {
    this.#db = db;
    this.proxy = new ProxyRecords(db);
    this.upstreams = new ProxyUpstreamRecords(db);
  }

  async insert(
    record: Omit<
      RepositoryRecord,
      | "status"
      | "defaultBranch"
      | "lastError"
      | "lastSyncedAt"
      | "packagePatterns"
      | "metadataUrl"
      | "eagerPackages"
    > &
      Partial<Pick<RepositoryRecord, "packagePatterns" | "metadataUrl" | "eagerPackages">>,
  ): Promise<void> {
    await this.#db
      .insertInto("repositories")
      .values({
        id: record.id,
        name: record.name,
        type: record.type,
        url: record.url,
        credentials: record.credentials,
        status: "new",
        default_branch: null,
        sync_lease_until: null,
        last_error: null,
        last_synced_at: null,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
        package_patterns: JSON.stringify(record.packagePatterns ?? []),
        metadata_url: record.metadataUrl ?? null,
        eager_packages: JSON.stringify(record.eagerPackages ?? []),
      })
      .execute();
  }

  async list(): Promise<RepositoryRecord[]> {
    const rows = await this.#db
      .selectFrom("repositories")
      .selectAll()
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toRecord);
  }

  async findById(id: string): Promise<RepositoryRecord | null> {
    const row = await this.#db.selectFrom("repositories").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  async findByName(name: string): Promise<RepositoryRecord | null> {
    const row = await this.#db
      .selectFrom("repositories")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  async update(
    id: string,
    changes: {
      name?: string;
      url?: string;
      credentials?: string | null;
      packagePatterns?: readonly string[];
      metadataUrl?: string | null;
      eagerPackages?: readonly string[];
    },
    now: string,
  ): Promise<void> {
    const { packagePatterns, metadataUrl, eagerPackages, ...plain } = changes;
    await this.#db
      .updateTable("repositories")
      .set({
        ...plain,
        ...(packagePatterns === undefined ? {} : { package_patterns: JSON.stringify(packagePatterns) }),
        ...(metadataUrl === undefined ? {} : { metadata_url: metadataUrl }),
        ...(eagerPackages === undefined ? {} : { eager_packages: JSON.stringify(eagerPackages) }),
        updated_at: now,
      })
      .where("id", "=", id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom("repositories").where("id", "=", id).execute();
  }

  /**
   * Takes the sync lease when nobody holds it (or the holder's lease ran out). Returns false when
   * another sync holds the repository.
   */
  async acquireSyncLease(id: string, now: string, until: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("repositories")
      .set({ sync_lease_until: until, status: "syncing", updated_at: now })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("sync_lease_until", "is", null), eb("sync_lease_until", "<", now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Ends a sync: clears the lease and records the outcome. `leaseUntil` is the `until` the sync
   * acquired; when another sync has taken the lease over since (this one outlived its lease), the
   * release is ignored, so that it neither frees the other sync's lease nor overwrites its status.
   */
  async releaseSyncLease(
    id: string,
    outcome: {
      status: RepositoryStatus;
      lastError: string | null;
      defaultBranch: string | null;
      at: string;
      leaseUntil: string;
    },
  ): Promise<void> {
    await this.#db
      .updateTable("repositories")
      .set({
        sync_lease_until: null,
        status: outcome.status,
        last_error: outcome.lastError,
        default_branch: outcome.defaultBranch,
        last_synced_at: outcome.at,
        updated_at: outcome.at,
      })
      .where("id", "=", id)
      .where("sync_lease_until", "=", outcome.leaseUntil)
      .execute();
  }

  async refs(repositoryId: string): Promise<RefRecord[]> {
    const rows = await this.#db
      .selectFrom("repository_refs")
      .selectAll()
      .where("repository_id", "=", repositoryId)
      .orderBy("ref")
      .execute();
    return rows.map((row) => ({
      ref: row.ref,
      commit: row.commit,
      packageName: row.package_name,
      versionNormalized: row.version_normalized,
      skipReason: row.skip_reason,
    }));
  }

  async saveRef(repositoryId: string, ref: RefRecord, now: string): Promise<void> {
    const values = {
      commit: ref.commit,
      package_name: ref.packageName,
      version_normalized: ref.versionNormalized,
      skip_reason: ref.skipReason,
      updated_at: now,
    };
    await this.#db
      .insertInto("repository_refs")
      .values({ repository_id: repositoryId, ref: ref.ref, ...values })
      .onConflict((oc) => oc.columns(["repository_id", "ref"]).doUpdateSet(values))
      .execute();
  }

  async deleteRef(repositoryId: string, ref: string): Promise<void> {
    await this.#db
      .deleteFrom("repository_refs")
      .where("repository_id", "=", repositoryId)
      .where("ref", "=", ref)
      .execute();
  }
}

function toRecord(row: RepositoriesTable): RepositoryRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    url: row.url,
    credentials: row.credentials,
    status: row.status,
    defaultBranch: row.default_branch,
    lastError: row.last_error,
    lastSyncedAt: row.last_synced_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    packagePatterns: JSON.parse(row.package_patterns) as string[],
    metadataUrl: row.metadata_url,
    eagerPackages: JSON.parse(row.eager_packages) as string[],
  };
}
