import type { Kysely } from "kysely";

/**
 * The history of background jobs (docs/operations/jobs.md): one row per round that did something
 * or failed, with the node and process that ran it, so an operator sees what ran where and an
 * auditor sees that each purge, checkpoint and delivery ran once. Idle rounds (nothing to deliver,
 * no new events) are not recorded; `job_leases.last_started_at` says the job is alive.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("job_runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("job", "text", (c) => c.notNull())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    // JSON: what the round did (counts), or {} when it failed before knowing.
    .addColumn("summary", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .execute();
  // A job's history, newest first; and the pruning of old rounds.
  await db.schema.createIndex("job_runs_job").on("job_runs").columns(["job", "started_at", "id"]).execute();
  await db.schema.createIndex("job_runs_started_at").on("job_runs").column("started_at").execute();
}
