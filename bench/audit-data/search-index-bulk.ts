/**
 * Bulk builds of the audit search index (`audit_search` and its text index) for the generator:
 * the product's projection (searchProjection) of every row, loaded without the index's secondary
 * indexes, which are then created in one pass each. Same result as the server's indexer
 * (audit-search-index.ts), several times faster on 10 million events.
 */
import { spawn } from "node:child_process";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { searchProjection } from "../../src/audit/search/search-projection.ts";
import { AUDIT_ROW_COLUMNS } from "../../src/storage/database/audit-records.ts";
import { SEARCH_INDEX_COLUMNS } from "../../src/storage/database/audit-search-index.ts";
import type { AuditRow } from "../../src/storage/database/audit-records.ts";
import { searchStoreFile } from "../../src/storage/database/sqlite-search-store.ts";

const KEYS = SEARCH_INDEX_COLUMNS;

const READ = `select ${[...AUDIT_ROW_COLUMNS, "ip_key"].map((c) => `"${c}"`).join(", ")} from audit_logs`;
type StoredRow = AuditRow & { ip_key: string | null };

/** Between batches: lets the caller pause for other benchmarks. */
export type Pause = () => Promise<void>;

/** SQLite: fills the search file beside `file` from the rows of `file`; returns the rows indexed. */
export async function fillSqliteSearchIndex(file: string, pause: Pause): Promise<number> {
  const main = new BetterSqlite3(file, { readonly: true });
  const search = new BetterSqlite3(searchStoreFile(file));
  try {
    search.pragma("journal_mode = OFF");
    search.pragma("synchronous = OFF");
    search.pragma("cache_size = -1000000");
    const indexes = search
      .prepare<[], { name: string; sql: string }>(
        "select name, sql from sqlite_master where type = 'index' and tbl_name = 'audit_search' and sql is not null",
      )
      .all();
    for (const index of indexes) search.exec(`drop index ${index.name}`);
    const insert = search.prepare(
      `insert into audit_search (${KEYS.map((k) => `"${k}"`).join(", ")}) values (${KEYS.map(() => "?").join(", ")})`,
    );
    const insertText = search.prepare("insert into audit_fts (rowid, body) values (?, ?)");
    const read = main.prepare<[number, number], StoredRow>(
      `${READ} where seq > ? and seq <= ? and purged_at is null`,
    );
    const size = (main.prepare("select max(seq) as n from audit_logs").get() as { n: number | null }).n ?? 0;
    const values: unknown[] = new Array<unknown>(KEYS.length);
    const load = search.transaction((rows: StoredRow[]) => {
      for (const row of rows) {
        const projection = searchProjection(row);
        for (let i = 0; i < KEYS.length; i++) values[i] = projection[KEYS[i]!];
        insert.run(values);
        insertText.run(projection.seq, projection.text);
      }
    });
    let indexed = 0;
    for (let from = 0; from < size; from += 100_000) {
      await pause();
      const rows = read.all(from, from + 100_000);
      load(rows);
      indexed += rows.length;
    }
    for (const index of indexes) {
      await pause();
      search.exec(index.sql);
    }
    search.prepare("update audit_search_state set indexed_through = ? where id = 1").run(size);
    search.exec("analyze");
    search.pragma("journal_mode = WAL");
    return indexed;
  } finally {
    search.close();
    main.close();
  }
}

/**
 * PostgreSQL: reads the rows a page at a time, COPYs their projections into a staging table
 * through psql, then fills `audit_search` (the text vector computed by the database, as the
 * indexer has it computed) and creates its indexes.
 */
export async function fillPostgresSearchIndex(url: string, pause: Pause): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("set maintenance_work_mem = '1GB'");
    const { rows: indexes } = await client.query<{ name: string; sql: string }>(
      `select i.indexname as name, i.indexdef as sql from pg_indexes i where i.tablename = 'audit_search'
         and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    );
    for (const index of indexes) await client.query(`drop index ${index.name}`);
    await client.query(
      "create unlogged table audit_search_stage (like audit_search excluding constraints excluding indexes)",
    );
    await client.query(
      "alter table audit_search_stage drop column search_vector, add column body text not null",
    );
    const copy = spawn(
      "psql",
      [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", `copy audit_search_stage from stdin`],
      { stdio: ["pipe", "inherit", "inherit"] },
    );
    const exited = new Promise<number>((resolve, reject) => {
      copy.on("error", reject);
      copy.on("close", (code) => {
        resolve(code ?? 1);
      });
    });
    const { rows: top } = await client.query<{ n: string | null }>("select max(seq) as n from audit_logs");
    const size = Number(top[0]?.n ?? 0);
    let indexed = 0;
    for (let from = 0; from < size; from += 50_000) {
      await pause();
      // A plain client: bigint columns arrive as text.
      const { rows } = await client.query<Omit<StoredRow, "seq"> & { seq: string }>(
        `${READ} where seq > $1 and seq <= $2 and purged_at is null order by seq`,
        [from, from + 50_000],
      );
      let buffer = "";
      for (const row of rows) {
        const projection = searchProjection({ ...row, seq: Number(row.seq) });
        buffer += `${[...KEYS.map((k) => projection[k]), projection.text].map(copyField).join("\t")}\n`;
      }
      indexed += rows.length;
      if (!copy.stdin.write(buffer)) await new Promise((resolve) => copy.stdin.once("drain", resolve));
    }
    copy.stdin.end();
    const code = await exited;
    if (code !== 0) throw new Error(`psql COPY exited with ${code}`);
    await client.query(
      `insert into audit_search (${KEYS.map((k) => `"${k}"`).join(", ")}, search_vector)
       select ${KEYS.map((k) => `"${k}"`).join(", ")}, to_tsvector('simple', body) from audit_search_stage`,
    );
    await client.query("drop table audit_search_stage");
    for (const index of indexes) {
      await pause();
      await client.query(index.sql);
    }
    await client.query("update audit_search_state set indexed_through = $1 where id = 1", [size]);
    await client.query("vacuum analyze audit_search");
    return indexed;
  } finally {
    await client.end();
  }
}

/** COPY text format: backslash escapes, \N for NULL. */
export function copyField(value: string | number | null): string {
  if (value === null) return "\\N";
  const text = String(value);
  return /[\\\t\n\r]/.test(text)
    ? text.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n").replaceAll("\r", "\\r")
    : text;
}
