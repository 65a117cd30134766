import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from "kysely";
import { BoundedCache } from "../../cache/bounded-cache.ts";
import type { Database } from "./database-schema.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { attachSearchStore } from "./sqlite-search-store.ts";

/**
 * Opens (creating when needed) the embedded SQLite database in WAL mode, with the audit search
 * index attached as `search` (sqlite-search-store.ts).
 */
export function openSqliteDatabase(file: string): DatabaseHandle {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  connection.pragma("journal_mode = WAL");
  // FULL: a commit is on disk before it is acknowledged (power loss too, not only a crash). The
  // audit log promises that; group commit keeps the cost low (bench/audit-append).
  connection.pragma("synchronous = FULL");
  connection.pragma("busy_timeout = 10000");
  connection.pragma("foreign_keys = ON");
  attachSearchStore(connection, file);
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(connection) }),
  });
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

const MAX_CACHED_SQL_LENGTH = 2048;

/**
 * Kysely prepares every query anew; preparing costs more than running the small queries of a
 * metadata request. Statements are reused per SQL text (better-sqlite3 statements are reusable,
 * and Kysely never iterates two at once on its single connection).
 */
function withStatementCache(connection: BetterSqlite3.Database): SqliteDatabase {
  const statements = new BoundedCache<string, SqliteStatement>(500);
  return {
    close: () => {
      connection.close();
    },
    prepare: (sql) => {
      // Long texts are multi-row inserts whose text changes with the row count (audit batches):
      // caching one statement per count would hold hundreds of MiB for no gain.
      if (sql.length > MAX_CACHED_SQL_LENGTH) return connection.prepare(sql);
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = connection.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
