import type { Kysely } from "kysely";

/**
 * Settings changed at run time (audit retention and legal hold to begin with), and leases that
 * let one process of several run a background job at a time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("settings")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("job_leases")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("holder", "text")
    .addColumn("lease_until", "text")
    .addColumn("last_started_at", "text")
    .addColumn("last_finished_at", "text")
    .addColumn("last_outcome", "text")
    .addColumn("last_error", "text")
    .execute();

  // A purge walks one category's oldest events that still have a payload.
  await db.schema
    .createIndex("audit_logs_retention")
    .on("audit_logs")
    .columns(["event", "purged_at", "timestamp"])
    .execute();
}
