import type { Config } from "../../config/load-config.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { openPostgresDatabase } from "./postgres-database.ts";
import { openSqliteDatabase } from "./sqlite-database.ts";

export function openDatabase(database: Config["database"]): DatabaseHandle {
  return database.kind === "postgres"
    ? openPostgresDatabase(database.url)
    : openSqliteDatabase(database.file);
}
