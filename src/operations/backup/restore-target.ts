import fsp from "node:fs/promises";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import type { Config } from "../../config/load-config.ts";
import type { DatabaseHandle } from "../../storage/database/database-handle.ts";
import { openDatabase } from "../../storage/database/open-database.ts";
import { searchStoreFile } from "../../storage/database/sqlite-search-store.ts";
import type { BackupManifest } from "./backup-manifest.ts";
import { appliedMigrations, listTables } from "./database-tables.ts";

/**
 * Tables the migrations fill with one row of initial state (0001, 0002, 0012): that row alone is
 * not data. A migration that seeds another table adds it here (the restore tests of a freshly
 * migrated target fail until it does).
 */
const SEEDED_TABLES: ReadonlySet<string> = new Set(["catalog_state", "audit_state", "alert_state"]);

/**
 * What makes the target not empty: tables holding rows (beyond the migrations' initial state),
 * and key files in the data directory that differ from the backup's. Empty: nothing to lose.
 */
export async function targetContents(
  handle: DatabaseHandle,
  config: Config,
  manifest: BackupManifest,
  archiveFile: (member: string) => Promise<Buffer>,
): Promise<string[]> {
  const db = handle.db as unknown as Kysely<unknown>;
  const found: string[] = [];
  const ahead = (await appliedMigrations(db, handle.engine)).filter(
    (name) => !manifest.migrations.includes(name),
  );
  if (ahead.length > 0) {
    // Migrations cannot run backwards: the schema has to start over.
    found.push(`its schema has migration(s) the backup predates: ${ahead.join(", ")}`);
  }
  for (const table of await listTables(db, handle.engine)) {
    if (SEEDED_TABLES.has(table.name)) continue;
    const { rows } = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.id(table.name)}`.execute(db);
    const count = Number(rows[0]?.n ?? 0);
    if (count > 0) found.push(`table ${table.name} has ${count} row(s)`);
  }
  for (const file of manifest.files) {
    const target = path.join(config.dataDir, file.name);
    const existing = await fsp.readFile(target).catch(() => null);
    if (existing !== null && !existing.equals(await archiveFile(file.member))) {
      found.push(`${target} differs from the backup's`);
    }
  }
  return found;
}

/**
 * Empties the target database so that the migrations start over: on SQLite the files are
 * removed (database, WAL, search index); on PostgreSQL every table of the schema is dropped, with
 * the trigger functions of the audit log (this needs the tables' owner). Returns a new handle.
 */
export async function wipeTarget(handle: DatabaseHandle, config: Config): Promise<DatabaseHandle> {
  if (config.database.kind === "sqlite") {
    await handle.close();
    const file = config.database.file;
    const search = searchStoreFile(file);
    for (const base of [file, search]) {
      for (const suffix of ["", "-wal", "-shm", "-journal"])
        await fsp.rm(`${base}${suffix}`, { force: true });
    }
    return openDatabase(config.database);
  }
  const db = handle.db as unknown as Kysely<unknown>;
  await db.transaction().execute(async (trx) => {
    const { rows: tables } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(trx);
    for (const { name } of tables) await sql`drop table if exists ${sql.id(name)} cascade`.execute(trx);
    const { rows: functions } = await sql<{ signature: string }>`
      select p.oid::regprocedure::text as signature from pg_proc p
      where p.pronamespace = current_schema()::regnamespace and p.prorettype = 'trigger'::regtype`.execute(
      trx,
    );
    for (const { signature } of functions)
      await sql`drop function if exists ${sql.raw(signature)}`.execute(trx);
  });
  return handle;
}
