import { redactUrlPassword } from "../../config/redact-url-password.ts";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./database-schema.ts";
import type { DatabaseHandle } from "./database-handle.ts";

/** Connects to PostgreSQL; the pool is created lazily by Kysely on the first query. */
export function openPostgresDatabase(url: string, options: { maxConnections?: number } = {}): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  // COUNT(*) and SUM() return int8; our counts fit in a double.
  pool.on("connect", (client) => {
    client.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: "postgres",
    description: redactUrlPassword(url),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
