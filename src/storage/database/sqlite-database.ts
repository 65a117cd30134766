import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Database } from "./database-schema.ts";
import type { DatabaseHandle } from "./database-handle.ts";

/** Opens (creating when needed) the embedded SQLite database in WAL mode. */
export function openSqliteDatabase(file: string): DatabaseHandle {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  connection.pragma("journal_mode = WAL");
  connection.pragma("synchronous = NORMAL");
  connection.pragma("busy_timeout = 10000");
  connection.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  return {
    db,
    engine: "sqlite",
    description: `sqlite:${file}`,
    ping: async () => {
      connection.prepare("select 1").get();
      return Promise.resolve();
    },
    close: () => db.destroy(),
  };
}
