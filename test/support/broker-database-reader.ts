import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { EngineName } from "./test-databases.ts";

/** Read-only SQL on the database of a broker process under test, whichever engine. */
export interface BrokerDatabaseReader {
  rows<T>(query: string): Promise<T[]>;
  close(): Promise<void>;
}

/** Opens the broker's database read-only: its SQLite file, or a read-only PostgreSQL session. */
export async function openBrokerDatabase(
  engine: EngineName,
  env: Readonly<Record<string, string>>,
): Promise<BrokerDatabaseReader> {
  if (engine === "sqlite") {
    const db = new Database(path.join(env.PB_DATA_DIR ?? "", "broker.sqlite"), { readonly: true });
    return {
      rows: <T>(query: string) => Promise.resolve(db.prepare(query).all() as T[]),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const client = new pg.Client({ connectionString: env.PB_DATABASE_URL });
  // count(*) and bigint columns are int8: numbers here, as the broker reads them.
  client.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  await client.connect();
  await client.query("set default_transaction_read_only = on");
  return {
    rows: async <T>(query: string) => (await client.query(query)).rows as T[],
    close: () => client.end(),
  };
}
