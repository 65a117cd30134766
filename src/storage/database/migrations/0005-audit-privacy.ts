import type { Kysely } from "kysely";

/**
 * Personal data beside the audit log, never in it (so it can be destroyed without breaking
 * verification):
 * - `audit_raw_ips`: the raw client address of an event, encrypted with a key of its day;
 *   `audit_ip_keys`: those day keys (sealed with the server's secret key). Deleting a day's key
 *   crypto-shreds every address of that day.
 * - `audit_subjects`: who a stable actor id is (e-mail, name), erasable on request.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("audit_ip_keys")
    .addColumn("day", "text", (c) => c.primaryKey())
    .addColumn("sealed_key", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("audit_raw_ips")
    .addColumn("seq", "bigint", (c) => c.primaryKey())
    .addColumn("day", "text", (c) => c.notNull())
    .addColumn("sealed", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("audit_raw_ips_day").on("audit_raw_ips").column("day").execute();
  await db.schema
    .createTable("audit_subjects")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text")
    .addColumn("name", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("erased_at", "text")
    .execute();
  await db.schema.createIndex("audit_subjects_email").on("audit_subjects").column("email").execute();
}
