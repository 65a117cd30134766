import type { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import { migrations } from "./migrations/migration-list.ts";

export interface MigrationOutcome {
  readonly applied: string[];
}

/**
 * SQLite has no lock Kysely's migrator can take across processes: two processes starting on a
 * fresh database (the server and a CLI command) may both try to migrate, and the loser fails
 * because the winner's tables now exist. Its transaction rolled back, so trying again is safe:
 * the second attempt sees the migrations applied.
 */
const RACE_LOST = /already exists|database is locked|SQLITE_BUSY/i;

/** Applies every pending migration, in one run; throws with the failing migration's name. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationOutcome> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await migrateOnce(db);
    } catch (error) {
      const cause = error instanceof Error ? error.cause : undefined;
      const message = cause instanceof Error ? cause.message : "";
      if (attempt >= 3 || !RACE_LOST.test(message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

async function migrateOnce<DB>(db: Kysely<DB>): Promise<MigrationOutcome> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: "schema_migrations",
    migrationLockTableName: "schema_migrations_lock",
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((result) => result.status === "Error");
  if (error !== undefined) {
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`Database migration ${failed?.migrationName ?? "(unknown)"} failed: ${reason}`, {
      cause: error,
    });
  }
  return { applied: results.filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
