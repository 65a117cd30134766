import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * The audit log's search index leaves the append path.
 *
 * 0003 kept the search keys and the free-text index in `audit_logs`, updated by every append:
 * nine secondary indexes and FTS5 (SQLite) or a tsvector with GIN (PostgreSQL) cost several times
 * the append itself (bench/audit-append: 32,000 → 13,000 events/s on SQLite, 25,000 → 8,000 on
 * PostgreSQL). They move to `audit_search`, a projection an indexer fills behind the log
 * (storage/database/audit-search-index.ts), and `audit_logs` keeps its primary key and event id.
 *
 * On SQLite the projection lives in a second file (sqlite-search-store.ts creates it, and fills
 * it from the log on first use); here the main file only loses what 0003 added for search. On
 * PostgreSQL the projection is a table of the same database, empty until the indexer fills it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (!postgres) {
    await sql`drop trigger audit_logs_fts_insert`.execute(db);
    await sql`drop trigger audit_logs_fts_purge`.execute(db);
    await sql`drop table audit_fts`.execute(db);
  }
  for (const index of [
    "audit_logs_user",
    "audit_logs_package",
    "audit_logs_repository",
    "audit_logs_token",
    "audit_logs_ip",
    "audit_logs_timestamp",
    "audit_logs_event_action",
    "audit_logs_request",
    "audit_logs_retention",
  ]) {
    await db.schema.dropIndex(index).execute();
  }
  if (postgres) await sql`drop index audit_logs_search`.execute(db);
  // The derived keys: the indexer computes them (and survives a corrupt JSON column, which a
  // generated column turned into a refused write or a failed read).
  for (const column of ["package_name", "package_version", "repository_name", "token_ref"]) {
    await db.schema.alterTable("audit_logs").dropColumn(column).execute();
  }
  if (postgres) {
    await db.schema.alterTable("audit_logs").dropColumn("search_vector").execute();
    await createPostgresProjection(db);
  }
}

async function createPostgresProjection(db: Kysely<unknown>): Promise<void> {
  // Search keys compare bytewise (`collate "C"`), so a prefix is an index range.
  await sql`create table audit_search (
    seq bigint primary key,
    timestamp text not null,
    event text not null,
    action text not null,
    severity text not null,
    outcome text not null,
    "user" text collate "C",
    package_name text collate "C",
    package_version text collate "C",
    repository_name text collate "C",
    token_ref text collate "C",
    ip_key text collate "C",
    request_id text collate "C",
    search_vector tsvector not null
  )`.execute(db);
  // seq last: "newest first" within a key is an index walk.
  const indexes: [string, string[]][] = [
    ["audit_search_timestamp", ["timestamp"]],
    ["audit_search_event_action", ["event", "action", "seq"]],
    ["audit_search_event_timestamp", ["event", "timestamp"]],
    ["audit_search_user", ["user", "seq"]],
    ["audit_search_package", ["package_name", "seq"]],
    ["audit_search_repository", ["repository_name", "seq"]],
    ["audit_search_token", ["token_ref", "seq"]],
    ["audit_search_ip", ["ip_key", "seq"]],
    ["audit_search_request", ["request_id"]],
  ];
  for (const [name, columns] of indexes) {
    await db.schema.createIndex(name).on("audit_search").columns(columns).execute();
  }
  await sql`create index audit_search_text on audit_search using gin (search_vector)`.execute(db);
  await sql`create table audit_search_state (
    id integer primary key check (id = 1),
    indexed_through bigint not null
  )`.execute(db);
  await sql`insert into audit_search_state (id, indexed_through) values (1, 0)`.execute(db);
}
