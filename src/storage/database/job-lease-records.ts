import type { Kysely } from "kysely";
import type { Database, JobLeasesTable } from "./database-schema.ts";

export type JobLeaseRow = JobLeasesTable;

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

  async get(name: string): Promise<JobLeaseRow | null> {
    return (
      (await this.#db.selectFrom("job_leases").selectAll().where("name", "=", name).executeTakeFirst()) ??
      null
    );
  }
}
