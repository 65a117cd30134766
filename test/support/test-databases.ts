import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { migrateToLatest } from "../../src/storage/database/migrate-to-latest.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { openPostgresDatabase } from "../../src/storage/database/postgres-database.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { requireComponent } from "./required-component.ts";

export type EngineName = "sqlite" | "postgres";

/** The engines a storage test runs on: SQLite always, PostgreSQL when the harness started it. */
export function testEngines(): EngineName[] {
  const url = inject("postgresUrl");
  const hasPostgres = requireComponent("PostgreSQL", url !== null, "install the postgresql package");
  return hasPostgres ? ["sqlite", "postgres"] : ["sqlite"];
}

/** A fresh, migrated, empty database on the given engine. */
export async function createTestDatabase(engine: EngineName): Promise<DatabaseHandle> {
  if (engine === "sqlite") {
    const handle = openSqliteDatabase(":memory:");
    await migrateToLatest(handle.db);
    return handle;
  }
  const url = await createPostgresDatabase();
  const handle = openPostgresDatabase(url, { maxConnections: 5 });
  await migrateToLatest(handle.db);
  return handle;
}

/** Creates an empty PostgreSQL database in the harness cluster and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  const adminUrl = inject("postgresUrl");
  if (adminUrl === null) throw new Error("PostgreSQL is not available");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}
