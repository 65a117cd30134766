import { sql, type Kysely } from "kysely";
import type { DatabaseEngine } from "../../storage/database/database-handle.ts";

/** A table as a backup sees it: the columns it stores (generated ones left out) and its key. */
export interface TableShape {
  readonly name: string;
  readonly columns: readonly string[];
  /** The primary key's columns, in key order; every column when the table has none. */
  readonly orderBy: readonly string[];
  /** Whether `orderBy` is a primary key (unique, so pages can start after the last key read). */
  readonly keyed: boolean;
  /** Tables this one references (foreign keys), itself excluded. */
  readonly references: readonly string[];
}

/**
 * Tables that are not backed up: the migrator's own bookkeeping (the manifest lists the applied
 * migrations instead) and the audit search projection, which the indexer rebuilds from the log.
 */
export const UNSAVED_TABLES: ReadonlySet<string> = new Set([
  "schema_migrations",
  "schema_migrations_lock",
  "audit_search",
  "audit_search_state",
]);

/** The application's tables in the database's main schema, sorted by name. */
export async function listTables(db: Kysely<unknown>, engine: DatabaseEngine): Promise<TableShape[]> {
  const names = engine === "sqlite" ? await sqliteTables(db) : await postgresTables(db);
  const shapes: TableShape[] = [];
  for (const name of names.filter((table) => !UNSAVED_TABLES.has(table)).sort()) {
    shapes.push(engine === "sqlite" ? await sqliteShape(db, name) : await postgresShape(db, name));
  }
  return shapes;
}

/** The names of the migrations applied, in order; empty for a database never migrated. */
export async function appliedMigrations(db: Kysely<unknown>, engine: DatabaseEngine): Promise<string[]> {
  const tables = engine === "sqlite" ? await sqliteTables(db) : await postgresTables(db);
  if (!tables.includes("schema_migrations")) return [];
  const { rows } = await sql<{ name: string }>`select name from schema_migrations order by name`.execute(db);
  return rows.map((row) => row.name);
}

/**
 * `tables` ordered so that a table comes after every table it references: the order rows are
 * inserted in. Names break ties; a cycle (none exists today) falls back to name order.
 */
export function insertOrder(tables: readonly TableShape[]): TableShape[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const done = new Set<string>();
  const ordered: TableShape[] = [];
  const visit = (table: TableShape, path: Set<string>): void => {
    if (done.has(table.name) || path.has(table.name)) return;
    path.add(table.name);
    for (const parent of [...table.references].sort()) {
      const shape = byName.get(parent);
      if (shape !== undefined) visit(shape, path);
    }
    path.delete(table.name);
    done.add(table.name);
    ordered.push(table);
  };
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(table, new Set());
  return ordered;
}

async function sqliteTables(db: Kysely<unknown>): Promise<string[]> {
  // Virtual tables (FTS) and their shadow tables are derived: only ordinary tables are data.
  const { rows } = await sql<{ name: string }>`
    select name from pragma_table_list
    where schema = 'main' and type = 'table' and name not like 'sqlite_%'`.execute(db);
  return rows.map((row) => row.name);
}

async function sqliteShape(db: Kysely<unknown>, name: string): Promise<TableShape> {
  const { rows: columns } = await sql<{ name: string; pk: number; hidden: number }>`
    select name, pk, hidden from pragma_table_xinfo(${name}) order by cid`.execute(db);
  const stored = columns.filter((column) => column.hidden === 0);
  const key = stored.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk);
  const { rows: references } = await sql<{ table: string }>`
    select distinct "table" from pragma_foreign_key_list(${name})`.execute(db);
  return {
    name,
    columns: stored.map((column) => column.name),
    orderBy: (key.length > 0 ? key : stored).map((column) => column.name),
    keyed: key.length > 0,
    references: references.map((row) => row.table).filter((table) => table !== name),
  };
}

async function postgresTables(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  return rows.map((row) => row.name);
}

async function postgresShape(db: Kysely<unknown>, name: string): Promise<TableShape> {
  const { rows: columns } = await sql<{ name: string; generated: string }>`
    select column_name as name, is_generated as generated from information_schema.columns
    where table_schema = current_schema() and table_name = ${name}
    order by ordinal_position`.execute(db);
  const stored = columns.filter((column) => column.generated !== "ALWAYS").map((column) => column.name);
  const { rows: key } = await sql<{ name: string }>`
    select a.attname as name
    from pg_index i
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident(${name}))::regclass
      and i.indisprimary
    order by array_position(i.indkey::int2[], a.attnum)`.execute(db);
  const { rows: references } = await sql<{ parent: string }>`
    select distinct p.relname as parent
    from pg_constraint c
    join pg_class t on t.oid = c.conrelid
    join pg_class p on p.oid = c.confrelid
    where c.contype = 'f' and c.connamespace = current_schema()::regnamespace and t.relname = ${name}`.execute(
    db,
  );
  return {
    name,
    columns: stored,
    orderBy: key.length > 0 ? key.map((row) => row.name) : stored,
    keyed: key.length > 0,
    references: references.map((row) => row.parent).filter((table) => table !== name),
  };
}
