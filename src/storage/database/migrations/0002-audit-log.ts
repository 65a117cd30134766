import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * The audit log: append-only tables, enforced by the database itself. SQLite and PostgreSQL get
 * triggers that refuse UPDATE and DELETE; PostgreSQL also revokes those privileges from PUBLIC.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("audit_logs")
    .addColumn("seq", "bigint", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("schema_version", "integer", (c) => c.notNull())
    .addColumn("timestamp", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("severity", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("user", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("ip_address", "text")
    .addColumn("user_agent", "text")
    .addColumn("request_id", "text")
    .addColumn("target", "text")
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("leaf_hash", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("audit_logs_timestamp").on("audit_logs").column("timestamp").execute();
  await db.schema
    .createIndex("audit_logs_event_action")
    .on("audit_logs")
    .columns(["event", "action"])
    .execute();
  await db.schema.createIndex("audit_logs_request").on("audit_logs").column("request_id").execute();

  await db.schema
    .createTable("audit_checkpoints")
    .addColumn("size", "bigint", (c) => c.primaryKey())
    .addColumn("root_hash", "text", (c) => c.notNull())
    .addColumn("note", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("audit_state")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("frontier", "text", (c) => c.notNull())
    .execute();
  await sql`insert into audit_state (id, size, frontier) values (1, 0, '[]')`.execute(db);

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`
      create function audit_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit tables are append-only: % on % is refused', tg_op, tg_table_name
          using errcode = 'insufficient_privilege';
      end $$`.execute(db);
    for (const table of ["audit_logs", "audit_checkpoints"]) {
      await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
        for each row execute function audit_append_only()`.execute(db);
      await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
        for each statement execute function audit_append_only()`.execute(db);
      await sql`revoke update, delete, truncate on ${sql.table(table)} from public`.execute(db);
    }
  } else {
    for (const table of ["audit_logs", "audit_checkpoints"]) {
      for (const operation of ["update", "delete"]) {
        await sql`create trigger ${sql.raw(`${table}_no_${operation}`)} before ${sql.raw(operation)} on ${sql.table(table)}
          begin select raise(abort, ${sql.lit(`audit tables are append-only: ${operation} on ${table} is refused`)}); end`.execute(
          db,
        );
      }
    }
  }
}
