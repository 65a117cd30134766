import type { Kysely } from "kysely";
import type { SyncProgress } from "../../sources/sync/sync-progress.ts";
import type { Database, SyncRunStatus } from "./database-schema.ts";

export interface SyncRunDetails {
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly removed: readonly string[];
  readonly skipped: readonly { readonly ref: string; readonly reason: string }[];
  readonly moved: readonly { readonly ref: string; readonly from: string; readonly to: string }[];
  /** A composer upstream's eager sync: what it mirrored (absent for git syncs). */
  readonly upstream?: UpstreamSyncCounts;
}

/** What an eager sync (or a change feed run) of a composer upstream did (docs/proxy.md). */
export interface UpstreamSyncCounts {
  /** `full`: every eager package asked again; `changes`: only what the change feed named. */
  readonly mode: "full" | "changes";
  /** Packages whose documents changed (or were new), answered 304/unchanged, failed, or were deleted. */
  readonly packages: {
    readonly fetched: number;
    readonly unchanged: number;
    readonly failed: number;
    readonly gone: number;
  };
  /** Versions that entered the integrity ledger, and versions it already held. */
  readonly versions: { readonly new: number; readonly known: number };
  readonly dists: { readonly fetched: number; readonly unchanged: number; readonly failed: number };
  /** Why packages failed (at most 100 listed). */
  readonly failures: readonly { readonly package: string; readonly reason: string }[];
  /** Why the change feed could not be used this time (the run was a full one), or null. */
  readonly feedError: string | null;
}

export interface SyncRun {
  readonly id: string;
  readonly repositoryId: string;
  readonly status: SyncRunStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly details: SyncRunDetails;
  readonly error: string | null;
  /** Where a `running` run is (its last report); null once it ended, or before its first report. */
  readonly progress: SyncProgress | null;
}

export const emptySyncDetails: SyncRunDetails = {
  added: [],
  updated: [],
  removed: [],
  skipped: [],
  moved: [],
};

/** The history of syncs: what each run added, removed, skipped (and why), and which tags moved. */
export class SyncRunRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async start(run: { id: string; repositoryId: string; startedAt: string }): Promise<void> {
    await this.#db
      .insertInto("sync_runs")
      .values({
        id: run.id,
        repository_id: run.repositoryId,
        status: "running",
        started_at: run.startedAt,
        finished_at: null,
        versions_added: 0,
        versions_removed: 0,
        refs_skipped: 0,
        details: JSON.stringify(emptySyncDetails),
        error: null,
        progress: null,
      })
      .execute();
  }

  /** Records where a running run is; a run that ended meanwhile keeps its final state. */
  async progress(id: string, progress: SyncProgress): Promise<void> {
    await this.#db
      .updateTable("sync_runs")
      .set({ progress: JSON.stringify(progress) })
      .where("id", "=", id)
      .where("status", "=", "running")
      .execute();
  }

  async finish(
    id: string,
    outcome: { status: SyncRunStatus; finishedAt: string; details: SyncRunDetails; error: string | null },
  ): Promise<void> {
    await this.#db
      .updateTable("sync_runs")
      .set({
        status: outcome.status,
        finished_at: outcome.finishedAt,
        versions_added: outcome.details.added.length,
        versions_removed: outcome.details.removed.length,
        refs_skipped: outcome.details.skipped.length,
        details: JSON.stringify(outcome.details),
        error: outcome.error,
        progress: null,
      })
      .where("id", "=", id)
      .execute();
  }

  /**
   * Marks the runs of a repository still `running` as `interrupted`: called by a sync that just
   * took the repository's lease, so any such run belongs to a process that died holding it.
   */
  async interruptRunning(repositoryId: string, at: string): Promise<number> {
    const result = await this.#db
      .updateTable("sync_runs")
      .set({
        status: "interrupted",
        finished_at: at,
        error: "the process running this sync stopped before it finished",
        progress: null,
      })
      .where("repository_id", "=", repositoryId)
      .where("status", "=", "running")
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Syncs recorded as running, on every repository (the metrics). */
  async countRunning(): Promise<number> {
    const row = await this.#db
      .selectFrom("sync_runs")
      .select((eb) => eb.fn.countAll<number | string | bigint>().as("running"))
      .where("status", "=", "running")
      .executeTakeFirst();
    return Number(row?.running ?? 0);
  }

  async find(id: string): Promise<SyncRun | null> {
    const row = await this.#db.selectFrom("sync_runs").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toRun(row);
  }

  async latest(repositoryId: string, limit: number): Promise<SyncRun[]> {
    const rows = await this.#db
      .selectFrom("sync_runs")
      .selectAll()
      .where("repository_id", "=", repositoryId)
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(toRun);
  }
}

function toRun(row: {
  id: string;
  repository_id: string;
  status: SyncRunStatus;
  started_at: string;
  finished_at: string | null;
  details: string;
  error: string | null;
  progress: string | null;
}): SyncRun {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    details: JSON.parse(row.details) as SyncRunDetails,
    error: row.error,
    progress: row.progress === null ? null : (JSON.parse(row.progress) as SyncProgress),
  };
}
