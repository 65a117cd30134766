import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/storage/database/database-schema.ts";

/** The tables a refused request must leave as they were (everything but logs and counters). */
const STATE_TABLES = [
  "users",
  "tokens",
  "repositories",
  "package_versions",
  "settings",
  "account_links",
  "recovery_codes",
] as const;

/** The rows of the state tables, as one string to compare before and after. */
export async function databaseSnapshot(db: Kysely<Database>): Promise<string> {
  const parts: unknown[] = [];
  for (const table of STATE_TABLES) {
    const rows = await sql`select * from ${sql.table(table)} order by 1`.execute(db);
    parts.push(rows.rows);
  }
  return JSON.stringify(parts);
}
