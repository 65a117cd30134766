import type { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import type { Database } from "../../src/storage/database/database-schema.ts";
import { migrations } from "../../src/storage/database/migrations/migration-list.ts";

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
