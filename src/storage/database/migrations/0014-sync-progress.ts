import type { Kysely } from "kysely";

/**
 * Where a running sync is (docs/repositories.md, "Live progress"): JSON of the sync's last
 * progress report (`{"phase":"refs","done":3,"total":40,"ref":"v1.2.0"}`), written every half
 * second or so while it runs and cleared when it ends, so that any node of a cluster, the
 * dashboard and `GET /api/repositories/{id}/syncs` can show it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("sync_runs").addColumn("progress", "text").execute();
}
