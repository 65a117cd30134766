import type { Kysely } from "kysely";

/**
 * When an upstream last served a version differently from the first-seen entry in the integrity
 * ledger (`proxy_versions.conflicting_entry`), so that the API can list the conflicts with their
 * time. Null for conflicts recorded before this migration and for versions without one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("proxy_versions").addColumn("conflict_seen_at", "text").execute();
}
