import { sql, type Kysely } from "kysely";

/**
 * Alerts (docs/alert-rules.md).
 *
 * - `alerts`: each alert a rule raised, with its evidence (event ids and seqs), the response
 *   taken (token suspended, account locked), the notifications sent, and whether someone
 *   acknowledged it. The id is derived from the rule, the group and the last evidence event, so
 *   an alert evaluated twice (a crash between storing it and moving the cursor) is stored once.
 * - `alert_state`: one row (id = 1): the highest seq the rules have seen; it starts at the size
 *   of the log, so the events recorded before alerts existed raise none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("alerts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("rule_id", "text", (c) => c.notNull())
    .addColumn("rule_name", "text", (c) => c.notNull())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("level", "text", (c) => c.notNull())
    // JSON: the group-by fields and their values.
    .addColumn("group_key", "text", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    // JSON: [{id, seq}], oldest first.
    .addColumn("evidence", "text", (c) => c.notNull())
    .addColumn("first_timestamp", "text", (c) => c.notNull())
    .addColumn("last_timestamp", "text", (c) => c.notNull())
    .addColumn("fired_at", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("acknowledged_at", "text")
    .addColumn("acknowledged_by", "text")
    .addColumn("note", "text")
    // JSON: {action, subject, outcome, error} or null.
    .addColumn("response", "text")
    // JSON: [{channel, status, attempts, error, sentAt, nextAttemptAt}].
    .addColumn("notifications", "text", (c) => c.notNull())
    // 1 while a channel's delivery is still to be (re)tried: what each round looks for.
    .addColumn("notify_pending", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("alerts_fired_at").on("alerts").column("fired_at").execute();
  await db.schema
    .createIndex("alerts_notify_pending")
    .on("alerts")
    .columns(["notify_pending", "fired_at"])
    .execute();
  await db.schema
    .createTable("alert_state")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("cursor", "bigint", (c) => c.notNull())
    .execute();
  // Rules start with the events after this migration: history before it raises nothing.
  await sql`INSERT INTO alert_state (id, cursor) SELECT 1, size FROM audit_state WHERE id = 1`.execute(db);
}
