import path from "node:path";
import BetterSqlite3 from "better-sqlite3";

/**
 * On SQLite the audit log's search index lives in a second database file beside the main one
 * (`broker.sqlite` → `broker.search.sqlite`), attached to every connection as `search`.
 *
 * Why a second file: indexing an event (free text above all: FTS5 costs 40–60 µs per event) is
 * several times the cost of appending it, and SQLite has one writer per file. In the main file,
 * every index write would hold up the appends; in its own file, the indexer (a worker thread)
 * writes while the appends go on (docs/architecture.md, "The audit search index").
 *
 * The index is derived data: deleting the file rebuilds it from the log, and so does a change of
 * its layout (`SEARCH_STORE_VERSION`).
 */
export const SEARCH_STORE_VERSION = 1;

/** The search file of a database file; `:memory:` stays in memory. */
export function searchStoreFile(databaseFile: string): string {
  if (databaseFile === ":memory:") return databaseFile;
  const extension = path.extname(databaseFile);
  const base = extension === "" ? databaseFile : databaseFile.slice(0, -extension.length);
  return `${base}.search${extension === "" ? ".sqlite" : extension}`;
}

/** Attaches the search store to a connection of the main database, creating its tables. */
export function attachSearchStore(connection: BetterSqlite3.Database, databaseFile: string): void {
  const file = searchStoreFile(databaseFile);
  if (file !== ":memory:") prepareSearchFile(file);
  connection.prepare("attach database ? as search").run(file);
  // Per connection and per file: a purge's deletions from the index are as durable as the purge.
  connection.pragma("search.synchronous = NORMAL");
  if (file === ":memory:") createSchema(connection, "search.");
}

/**
 * Creates (or, after a layout change, recreates) the tables in the file, in a transaction of that
 * file alone: several processes may open the database at once.
 */
function prepareSearchFile(file: string): void {
  const store = new BetterSqlite3(file);
  try {
    store.pragma("journal_mode = WAL");
    store.pragma("busy_timeout = 10000");
    store
      .transaction(() => {
        const version = store.pragma("user_version", { simple: true }) as number;
        if (version === SEARCH_STORE_VERSION) return;
        dropEverything(store);
        createSchema(store, "");
        store.pragma(`user_version = ${SEARCH_STORE_VERSION}`);
      })
      .immediate();
  } finally {
    store.close();
  }
}

function dropEverything(store: BetterSqlite3.Database): void {
  const objects = store
    .prepare("select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%'")
    .all() as { name: string; sql: string | null }[];
  // Virtual tables first: dropping one drops its shadow tables.
  const ordered = [
    ...objects.filter((o) => /^create virtual/i.test(o.sql ?? "")),
    ...objects.filter((o) => !/^create virtual/i.test(o.sql ?? "")),
  ];
  for (const { name } of ordered) {
    const exists = store.prepare("select 1 from sqlite_master where name = ?").get(name);
    if (exists !== undefined) store.exec(`drop table "${name.replaceAll('"', '""')}"`);
  }
}

/**
 * The index: one row per event that still has its payload, an index per search key (the rowid,
 * seq, ends every one of them, so "newest first" within a key is an index walk), and FTS5 over
 * the event's text. FTS5 is contentless (the text is not stored twice); `contentless_delete` lets
 * a purge remove an event's terms. `_` joins words (`login_failed` is one term); other punctuation
 * splits, and phrase queries put `acme/widget` or `203.0.113.7` back together.
 */
function createSchema(db: BetterSqlite3.Database, schema: "" | "search."): void {
  db.exec(`
    create table ${schema}audit_search (
      seq integer primary key,
      timestamp text not null,
      event text not null,
      action text not null,
      severity text not null,
      outcome text not null,
      "user" text,
      package_name text,
      package_version text,
      repository_name text,
      token_ref text,
      ip_key text,
      request_id text
    );
    create index ${schema}audit_search_timestamp on audit_search (timestamp);
    create index ${schema}audit_search_event_action on audit_search (event, action);
    create index ${schema}audit_search_event_timestamp on audit_search (event, timestamp);
    create index ${schema}audit_search_user on audit_search ("user");
    create index ${schema}audit_search_package on audit_search (package_name);
    create index ${schema}audit_search_repository on audit_search (repository_name);
    create index ${schema}audit_search_token on audit_search (token_ref);
    create index ${schema}audit_search_ip on audit_search (ip_key);
    create index ${schema}audit_search_request on audit_search (request_id);
    create virtual table ${schema}audit_fts using fts5(
      body, content = '', contentless_delete = 1,
      tokenize = "unicode61 remove_diacritics 2 tokenchars '_'");
    create table ${schema}audit_search_state (id integer primary key check (id = 1), indexed_through integer not null);
    insert into ${schema}audit_search_state (id, indexed_through) values (1, 0);
  `);
}
