import type { Kysely } from "kysely";
import type { Database, JobRunOutcome } from "./database-schema.ts";

export interface JobRun {
  readonly id: string;
  readonly job: string;
  readonly holder: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: JobRunOutcome;
  readonly summary: Readonly<Record<string, unknown>>;
  readonly error: string | null;
}

/** Where a page of a job's history starts: after this run (newest first). */
export interface JobRunCursor {
  readonly startedAt: string;
  readonly id: string;
}

/** The history of background jobs, as `JobLeaseRecords.recordRun` wrote it: reads and pruning. */
export class JobRunRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** A job's runs (every job's when `job` is null), newest first, after `cursor`. */
  async list(options: { job: string | null; limit: number; after: JobRunCursor | null }): Promise<JobRun[]> {
    let query = this.#db.selectFrom("job_runs").selectAll();
    if (options.job !== null) query = query.where("job", "=", options.job);
    const after = options.after;
    if (after !== null) {
      query = query.where((eb) =>
        eb.or([
          eb("started_at", "<", after.startedAt),
          eb.and([eb("started_at", "=", after.startedAt), eb("id", "<", after.id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .limit(options.limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      job: row.job,
      holder: row.holder,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      outcome: row.outcome,
      summary: JSON.parse(row.summary) as Record<string, unknown>,
      error: row.error,
    }));
  }

  /** Deletes the runs that started before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom("job_runs")
      .where("started_at", "<", before.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
