import { PostgresAdapter, sql, type Kysely, type RawBuilder, type Transaction } from "kysely";
import { searchProjection, type SearchProjection } from "../../audit/search/search-projection.ts";
import { AUDIT_ROW_COLUMNS } from "./audit-records.ts";
import type { Database } from "./database-schema.ts";

export interface SearchIndexStatus {
  /** Every event up to this seq is in the index (or was purged). */
  readonly indexedThrough: number;
  /** The newest seq of the log. */
  readonly size: number;
}

export interface CatchUpOptions {
  /** Index at least up to this seq (default: the log's size when catching up starts). */
  readonly until?: number;
  /** Stop after the step that passes this instant (ms since the epoch), done or not. */
  readonly deadline?: number;
  /** Events per transaction. */
  readonly batch?: number;
  readonly onProgress?: (status: SearchIndexStatus) => void;
}

/**
 * Events per indexing transaction: large enough that a commit's fsync is shared by many events,
 * small enough that a search waiting for the index (or a purge) never waits long for the lock
 * (about 60 ms of work on the bench machine).
 */
const DEFAULT_BATCH = 1000;
/** Rows per INSERT statement (13 parameters each, far below SQLite's limit). */
const INSERT_CHUNK = 500;
/** The projection's columns, in insert order. */
export const SEARCH_INDEX_COLUMNS = [
  "seq",
  "timestamp",
  "event",
  "action",
  "severity",
  "outcome",
  "user",
  "package_name",
  "package_version",
  "repository_name",
  "token_ref",
  "ip_key",
  "request_id",
] as const;

/**
 * The search index of the audit log (`audit_search` and the free-text index), filled behind the
 * log: appends never wait for it (migration 0006). Indexing is a cursor, `indexed_through`,
 * advanced in the same transaction as the rows it indexed, under the cursor row's lock: any
 * number of processes may index at once and each event is indexed exactly once. Searches catch
 * the index up to the log before they run, so they see every event committed before they began.
 */
export class AuditSearchIndex {
  readonly #db: Kysely<Database>;
  readonly #postgres: boolean;

  constructor(db: Kysely<Database>) {
    this.#db = db;
    this.#postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async status(): Promise<SearchIndexStatus> {
    const [state, size] = await Promise.all([
      this.#db
        .selectFrom("audit_search_state")
        .select("indexed_through")
        .where("id", "=", 1)
        .executeTakeFirst(),
      logSize(this.#db),
    ]);
    return { indexedThrough: state?.indexed_through ?? 0, size };
  }

  /** Indexes up to `batch` events after the cursor, in one transaction. */
  async step(batch = DEFAULT_BATCH): Promise<SearchIndexStatus> {
    return this.#db.transaction().execute(async (trx) => {
      const through = await lockCursor(trx);
      const size = await logSize(trx);
      const end = Math.min(through + batch, size);
      if (end <= through) return { indexedThrough: through, size };
      const rows = await trx
        .selectFrom("audit_logs")
        .select([...AUDIT_ROW_COLUMNS, "ip_key"])
        .where("seq", ">", through)
        .where("seq", "<=", end)
        .where("purged_at", "is", null)
        .orderBy("seq")
        .execute();
      const projections = rows.map(searchProjection);
      for (let start = 0; start < projections.length; start += INSERT_CHUNK) {
        await this.#insert(trx, projections.slice(start, start + INSERT_CHUNK));
      }
      await trx.updateTable("audit_search_state").set({ indexed_through: end }).where("id", "=", 1).execute();
      return { indexedThrough: end, size };
    });
  }

  /** Steps until the index reaches `until` (or the log's size), or the deadline passes. */
  async catchUp(options: CatchUpOptions = {}): Promise<SearchIndexStatus> {
    const { deadline = Number.POSITIVE_INFINITY, batch, onProgress } = options;
    let status = await this.status();
    const until = Math.min(options.until ?? status.size, status.size);
    while (status.indexedThrough < until) {
      status = await this.step(batch);
      onProgress?.(status);
      if (Date.now() >= deadline) break;
    }
    return status;
  }

  async #insert(trx: Transaction<Database>, rows: readonly SearchProjection[]): Promise<void> {
    if (rows.length === 0) return;
    const columns = sql.join(SEARCH_INDEX_COLUMNS.map((column) => sql.ref(column)));
    const values = (row: SearchProjection): RawBuilder<unknown>[] =>
      SEARCH_INDEX_COLUMNS.map((column) => sql`${row[column]}`);
    if (this.#postgres) {
      await sql`insert into audit_search (${columns}, search_vector) values ${sql.join(
        rows.map((row) => sql`(${sql.join([...values(row), sql`to_tsvector('simple', ${row.text})`])})`),
      )}`.execute(trx);
      return;
    }
    await sql`insert into audit_search (${columns}) values ${sql.join(
      rows.map((row) => sql`(${sql.join(values(row))})`),
    )}`.execute(trx);
    await sql`insert into audit_fts (rowid, body) values ${sql.join(
      rows.map((row) => sql`(${row.seq}, ${row.text})`),
    )}`.execute(trx);
  }
}

/**
 * Locks the index's cursor for the rest of the transaction and reads it. The write comes first:
 * on SQLite it takes the search file's write lock before the transaction reads anything (so a
 * concurrent indexer makes it wait, not fail), on PostgreSQL the cursor row's lock.
 */
export async function lockCursor(trx: Transaction<Database>): Promise<number> {
  await trx
    .updateTable("audit_search_state")
    .set((eb) => ({ indexed_through: eb.ref("indexed_through") }))
    .where("id", "=", 1)
    .execute();
  const row = await trx
    .selectFrom("audit_search_state")
    .select("indexed_through")
    .where("id", "=", 1)
    .executeTakeFirstOrThrow();
  return row.indexed_through;
}

/**
 * Removes purged events from the index (in the purge's transaction, after `lockCursor`): their
 * keys and words are personal data retention must not keep.
 */
export async function removeFromSearchIndex(
  trx: Transaction<Database>,
  seqs: readonly number[],
): Promise<void> {
  if (seqs.length === 0) return;
  await trx.deleteFrom("audit_search").where("seq", "in", seqs).execute();
  if (!(trx.getExecutor().adapter instanceof PostgresAdapter)) {
    await sql`delete from audit_fts where rowid in (${sql.join(seqs)})`.execute(trx);
  }
}

/** The newest seq (0 while the log is empty). */
async function logSize(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom("audit_logs")
    .select((eb) => eb.fn.max<number | string | null>("seq").as("seq"))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}
