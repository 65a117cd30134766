import type { Kysely } from "kysely";
import { newId } from "../../ids/new-id.ts";
import type { Database, JobLeasesTable } from "./database-schema.ts";

export type JobLeaseRow = JobLeasesTable;

/** One round of a job as it ended: what it did, or why it failed. */
export interface FinishedJobRun {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly summary: Readonly<Record<string, unknown>>;
  readonly error: string | null;
}

/**
 * Leases on background jobs: a process runs a job only while it holds the job's lease, so that
 * of several processes or nodes on one database exactly one runs it at a time; a holder that dies
 * loses the lease when it expires.
 */
export class JobLeaseRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Takes the lease of `name` until `until` if it is free, expired or already ours. */
  async acquire(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    await this.#db
      .insertInto("job_leases")
      .values({ name })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    const result = await this.#db
      .updateTable("job_leases")
      .set({ holder, lease_until: until.toISOString(), last_started_at: now.toISOString() })
      .where("name", "=", name)
      .where((eb) =>
        eb.or([
          eb("holder", "is", null),
          eb("holder", "=", holder),
          eb("lease_until", "<", now.toISOString()),
        ]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Gives the lease back and records how the run ended. */
  async release(name: string, holder: string, now: Date, error: string | null): Promise<void> {
    await this.#db
      .updateTable("job_leases")
      .set({
        holder: null,
        lease_until: null,
        last_finished_at: now.toISOString(),
        last_outcome: error === null ? "success" : "failure",
        last_error: error,
      })
      .where("name", "=", name)
      .where("holder", "=", holder)
      .execute();
  }

  /**
   * Records a round of `name` run by `holder` in the job's history (`job_runs`), and as the job's
   * last outcome.
   */
  async recordRun(name: string, holder: string, run: FinishedJobRun): Promise<void> {
    const outcome = run.error === null ? "succeeded" : "failed";
    await this.#db
      .insertInto("job_runs")
      .values({
        id: newId(),
        job: name,
        holder,
        started_at: run.startedAt.toISOString(),
        finished_at: run.finishedAt.toISOString(),
        outcome,
        summary: JSON.stringify(run.summary),
        error: run.error,
      })
      .execute();
    await this.#db
      .updateTable("job_leases")
      .set({
        last_finished_at: run.finishedAt.toISOString(),
        last_outcome: run.error === null ? "success" : "failure",
        last_error: run.error,
      })
      .where("name", "=", name)
      .execute();
  }

  async list(): Promise<JobLeaseRow[]> {
    return this.#db.selectFrom("job_leases").selectAll().orderBy("name").execute();
  }

  async get(name: string): Promise<JobLeaseRow | null> {
    return (
      (await this.#db.selectFrom("job_leases").selectAll().where("name", "=", name).executeTakeFirst()) ??
      null
    );
  }
}
