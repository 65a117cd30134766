import type { Kysely } from "kysely";

/**
 * Forwarding the audit log (docs/audit-forwarding.md).
 *
 * - `audit_sinks`: one receiver each (Splunk HEC, Datadog, Elasticsearch, Loki, OTLP, syslog,
 *   webhook). The log is the outbox: `cursor` is the highest seq the receiver holds and
 *   `checkpoint_cursor` the largest signed checkpoint it holds; delivery resumes after them, so a
 *   receiver that is down for days, or a restart, loses nothing. `secret` is sealed with the
 *   server's key (the token, or the webhook's signing secrets). `attempts` and `next_attempt_at`
 *   are the backoff, kept here so that a restart honours it.
 * - `audit_sink_parked`: a record a receiver refused for good (a poison event), with the error,
 *   set aside so that the sink goes on; visible through the API.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("audit_sinks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull())
    // JSON object of the type's options.
    .addColumn("options", "text", (c) => c.notNull())
    .addColumn("secret", "text")
    .addColumn("paused_at", "text")
    .addColumn("cursor", "bigint", (c) => c.notNull())
    .addColumn("checkpoint_cursor", "bigint", (c) => c.notNull())
    .addColumn("delivered", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "text")
    .addColumn("last_success_at", "text")
    .addColumn("last_error", "text")
    .addColumn("last_error_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("audit_sink_parked")
    .addColumn("sink_id", "text", (c) => c.notNull().references("audit_sinks.id").onDelete("cascade"))
    // The event's id, or checkpoint-<size>.
    .addColumn("record_id", "text", (c) => c.notNull())
    // The event's seq; the tree size for a checkpoint.
    .addColumn("seq", "bigint", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("error", "text", (c) => c.notNull())
    .addColumn("parked_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_sink_parked_pk", ["sink_id", "record_id"])
    .execute();
}
