import type { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import type { Database } from "../../src/storage/database/database-schema.ts";
import { migrations } from "../../src/storage/database/migrations/migration-list.ts";
import { openPostgresDatabase } from "../../src/storage/database/postgres-database.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { createPostgresDatabase, type EngineName } from "./test-databases.ts";

/** An empty database with no migration run (for tests of one migration: `migrateTo` it). */
export async function openUnmigrated(engine: EngineName): Promise<DatabaseHandle> {
  return engine === "sqlite"
    ? openSqliteDatabase(":memory:")
    : openPostgresDatabase(await createPostgresDatabase(), { maxConnections: 2 });
}

/** Runs the product's migrations up to and including `name` (for tests of one migration). */
export async function migrateTo(db: Kysely<Database>, name: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: "schema_migrations",
    migrationLockTableName: "schema_migrations_lock",
  });
  const { error } = await migrator.migrateTo(name);
  if (error !== undefined) throw error instanceof Error ? error : new Error(JSON.stringify(error));
}
