import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from "kysely";
import type { AuditQuery, QueryNode } from "../../audit/search/audit-query.ts";
import type { SearchOrder } from "../../audit/search/search-cursor.ts";
import { AUDIT_ROW_COLUMNS, type AuditRow } from "./audit-records.ts";
import { AuditQueryScope, DEFAULT_INDEX_WAIT_MS } from "./audit-query-scope.ts";
import { auditQueryCondition, fts5Phrase, type AuditQuerySqlOptions } from "./audit-query-sql.ts";
import type { Database } from "./database-schema.ts";

export interface AuditPageRequest {
  readonly query: AuditQuery;
  readonly limit: number;
  /** Keyset: only events after this seq in the chosen order (below it newest first). */
  readonly afterSeq: number | null;
  readonly order: SearchOrder;
  /** Only events up to this seq (an export pinned to a checkpoint's tree). */
  readonly maxSeq?: number | null;
}

/** An inclusive range of seq; null is an open side. */
interface SeqWindow {
  readonly from: number | null;
  readonly to: number | null;
}

/**
 * How far a filtered page looks first, in seq numbers per row asked for (at least MIN_LIMIT).
 *
 * `WHERE <filter> ORDER BY seq LIMIT n` over the whole log leaves the plan to the planner, and on
 * a large log it often reads every match before it keeps the first n: an index on the filter and
 * a sort of all its matches (SQLite: `event:`, `action:`, `created:`; bench/audit-search measured
 * 1–10 s on 10 million events). A frequent filter is better served by walking seq and keeping
 * what matches. So a page first reads a window of the next PROBE × n seq numbers, which bounds
 * that work: a filter that matches at least one event in PROBE is done there. When the window
 * does not fill the page, the filter is rare, and the page is the query over its whole range, as
 * it always was: an index on a rare filter has few matches to sort.
 */
const PROBE = 100;

/**
 * Free text on SQLite: how many candidates a page asks FTS5 for, per row asked for, in its first
 * and (when that was not enough) its second and last batch.
 *
 * FTS5 walks a word's whole doclist to find matches anywhere but at the ends of the log: `IN
 * (select rowid from audit_fts where audit_fts match ...)` costs the same on a page as on the
 * whole log (0.8 s for a phrase of common words such as `"Composer/2.7.1"` on 10 million events;
 * a rowid range in the subquery does not help). Read in the page's order with a LIMIT, from the
 * cursor, FTS5 stops early instead. So the free text of the query's top level is asked from FTS5
 * first, and the rest of the query runs on those events. When two batches do not fill the page,
 * the text is common but the rest of the query is rare: the page is then one query, as always.
 */
const TEXT_BATCHES = [4, 64] as const;

type CountQuery = SelectQueryBuilder<Database, "audit_search", { n: number | string }>;

/**
 * The fewest rows a page query asks the database for (the page keeps what it needs). With
 * `LIMIT 1`, PostgreSQL expects the first match early and walks the primary key for a rare
 * filter (4 s for a rare address on 10 million events, 3 ms with LIMIT 100).
 */
const MIN_LIMIT = 100;

/**
 * Reads the audit log by query, with keyset pagination on seq: a page is "the next N events after
 * seq S in this order", so events appended meanwhile never shift a page. Queries run on the search
 * index (`audit_search`, audit-search-index.ts) and read the events from the log. Purged events
 * (retention cleared their payload) are not search results.
 */
export class AuditSearchRecords {
  readonly #db: Kysely<Database>;
  readonly #scope: AuditQueryScope;

  /**
   * `indexWaitMs`: how long a search may spend catching the search index up before it is refused
   * (503 AuditSearchIndexing); the CLI waits as long as it takes.
   */
  constructor(
    db: Kysely<Database>,
    ipKeys: AuditQuerySqlOptions["ipKeys"],
    indexWaitMs = DEFAULT_INDEX_WAIT_MS,
  ) {
    this.#db = db;
    this.#scope = new AuditQueryScope(db, ipKeys, indexWaitMs);
  }

  async page(request: AuditPageRequest): Promise<AuditRow[]> {
    const { query, limit, afterSeq, order, maxSeq = null } = request;
    // What the page may read: after the cursor, up to maxSeq.
    const from = order === "asc" && afterSeq !== null ? afterSeq + 1 : null;
    const to = lowest(order === "desc" && afterSeq !== null ? afterSeq - 1 : null, maxSeq);
    // Without a filter, the log's primary key in order is the plan.
    if (query === null) return this.#all(order, limit, { from, to });
    await this.#scope.indexed(maxSeq);
    const options = await this.#scope.optionsFor(query);
    const text = this.#scope.options.engine === "sqlite" ? topLevelText(query) : [];
    if (text.length > 0) return this.#pageByText(query, options, text, order, limit, { from, to });
    const rows = await this.#probe(query, options, order, limit, from, to, PROBE);
    if (rows !== null) return rows;
    if (this.#scope.options.engine === "postgres" && hasText(query)) {
      // See seqOrder; a wider probe first keeps common text with a rarer filter
      // (`package:x Darwin`) on the primary key, where it is cheaper than the GIN index.
      const wider = await this.#probe(query, options, order, limit, from, to, PROBE * 10);
      if (wider !== null) return wider;
      return this.#select(query, options, order, limit, { from, to }, true);
    }
    return this.#select(query, options, order, limit, { from, to });
  }

  /**
   * The page from a window of `perRow` × limit seqs from where it starts, if that fills it (or
   * covers its whole range); null otherwise. Without a cursor the window stays open above, so that
   * what is appended meanwhile is found as a single query would find it.
   */
  async #probe(
    query: QueryNode,
    options: AuditQuerySqlOptions,
    order: SearchOrder,
    limit: number,
    from: number | null,
    to: number | null,
    perRow: number,
  ): Promise<AuditRow[] | null> {
    const width = perRow * Math.max(limit, MIN_LIMIT);
    let probe: SeqWindow | null = null;
    if (order === "desc") {
      const bottom = (to ?? (await this.maxSeq())) - width + 1;
      if (bottom > 1) probe = { from: bottom, to };
    } else {
      const end = (from ?? 1) + width - 1;
      if (end < (to ?? (await this.maxSeq()))) probe = { from, to: end };
    }
    if (probe === null) return this.#select(query, options, order, limit, { from, to });
    const rows = await this.#select(query, options, order, limit, probe);
    return rows.length === limit ? rows : null;
  }

  /**
   * SQLite, a query that requires free text (see TEXT_BATCHES): FTS5 lists the events that contain
   * all of it in the page's order, from the cursor, a batch at a time; the query then runs on
   * exactly the events of the batch's range, with the free text as a list of those seqs.
   */
  async #pageByText(
    query: QueryNode,
    options: AuditQuerySqlOptions,
    text: readonly Extract<QueryNode, { kind: "text" }>[],
    order: SearchOrder,
    limit: number,
    page: SeqWindow,
  ): Promise<AuditRow[]> {
    const match = text.map((node) => fts5Phrase(node.text)).join(" AND ");
    const nodes = new Set<QueryNode>(text);
    const rows: AuditRow[] = [];
    let { from, to } = page;
    for (const perRow of TEXT_BATCHES) {
      const batch = perRow * limit;
      const lower = from === null ? sql`` : sql` and rowid >= ${from}`;
      const upper = to === null ? sql`` : sql` and rowid <= ${to}`;
      const { rows: found } = await sql<{ seq: number | string }>`select rowid as seq from audit_fts
        where audit_fts match ${match}${lower}${upper} order by rowid ${sql.raw(order)} limit ${batch}`.execute(
        this.#db,
      );
      const seqs = found.map((row) => Number(row.seq));
      const last = seqs.at(-1);
      if (last === undefined) return rows;
      // Every match of the text in [last, to] (desc) or [from, last] (asc) is in the batch.
      const window = order === "desc" ? { from: last, to } : { from, to: last };
      const candidates = { nodes, seqs: JSON.stringify(seqs) };
      const withCandidates = { ...options, textCandidates: candidates };
      rows.push(...(await this.#select(query, withCandidates, order, limit - rows.length, window)));
      if (rows.length === limit || seqs.length < batch) return rows;
      if (order === "desc") to = last - 1;
      else from = last + 1;
    }
    return this.#select(query, options, order, limit, page);
  }

  /** Every event with its payload in the window: the log alone, no index needed. */
  async #all(order: SearchOrder, limit: number, window: SeqWindow): Promise<AuditRow[]> {
    let select = this.#db
      .selectFrom("audit_logs")
      .select(AUDIT_ROW_COLUMNS)
      .where("purged_at", "is", null)
      .orderBy("seq", order)
      .limit(limit);
    if (window.from !== null) select = select.where("seq", ">=", window.from);
    if (window.to !== null) select = select.where("seq", "<=", window.to);
    return select.execute();
  }

  /**
   * The page: the matching seqs from the index (narrow rows, the filter's index, the sort and the
   * limit), then those events from the log by key. Joining the log before the limit would read
   * every match's whole event (a week of 10 million events: 100,000 rows for a page of 100).
   */
  async #select(
    query: QueryNode,
    options: AuditQuerySqlOptions,
    order: SearchOrder,
    limit: number,
    window: SeqWindow,
    sortMatches = false,
  ): Promise<AuditRow[]> {
    let select = this.#db
      .selectFrom("audit_search")
      .select("audit_search.seq")
      .where((eb) => auditQueryCondition(eb, query, options))
      .orderBy(seqOrder(sortMatches), order)
      .limit(Math.max(limit, MIN_LIMIT));
    if (window.from !== null) select = select.where("audit_search.seq", ">=", window.from);
    if (window.to !== null) select = select.where("audit_search.seq", "<=", window.to);
    const seqs = (await select.execute()).map((row) => row.seq);
    if (seqs.length === 0) return [];
    const rows = await this.#db
      .selectFrom("audit_logs")
      .select(AUDIT_ROW_COLUMNS)
      .where("seq", "in", seqs)
      .where("purged_at", "is", null)
      .orderBy("seq", order)
      .execute();
    // Every match was an event with its payload: the page is complete.
    if (rows.length === seqs.length) return rows.length > limit ? rows.slice(0, limit) : rows;
    // The index still listed purged events (SQLite, after a crash between its two files; the next
    // purge removes them): the slow plan, which skips them, so the page stays full.
    return this.#joined(query, options, order, limit, window, sortMatches);
  }

  async #joined(
    query: QueryNode,
    options: AuditQuerySqlOptions,
    order: SearchOrder,
    limit: number,
    window: SeqWindow,
    sortMatches: boolean,
  ): Promise<AuditRow[]> {
    let select = this.#db
      .selectFrom("audit_search")
      .innerJoin("audit_logs", "audit_logs.seq", "audit_search.seq")
      .select(AUDIT_ROW_COLUMNS.map((column) => `audit_logs.${column}` as const))
      .where("audit_logs.purged_at", "is", null)
      .where((eb) => auditQueryCondition(eb, query, options))
      .orderBy(seqOrder(sortMatches), order)
      .limit(Math.max(limit, MIN_LIMIT));
    if (window.from !== null) select = select.where("audit_search.seq", ">=", window.from);
    if (window.to !== null) select = select.where("audit_search.seq", "<=", window.to);
    const rows = await select.execute();
    return rows.length > limit ? rows.slice(0, limit) : rows;
  }

  /** The newest seq (0 while the log is empty): where an export that starts now ends. */
  async maxSeq(): Promise<number> {
    const row = await this.#db
      .selectFrom("audit_logs")
      .select((eb) => eb.fn.max<number | string | null>("audit_logs.seq").as("seq"))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /** How many events match (for progress; a search page never needs it). */
  async count(query: AuditQuery, maxSeq: number | null = null): Promise<number> {
    await this.#scope.indexed(maxSeq);
    const count = (where?: (select: CountQuery) => CountQuery): Promise<number> => {
      const select = this.#db
        .selectFrom("audit_search")
        .select((eb) => eb.fn.countAll<number | string>().as("n"));
      return (where === undefined ? select : where(select))
        .executeTakeFirstOrThrow()
        .then((row) => Number(row.n));
    };
    if (query === null) {
      // Every event: a count of the whole index (the engine counts its smallest index) less the
      // few appended since `maxSeq`, rather than a range scan of the table (11 s on 10 million).
      const [all, newer] = await Promise.all([
        count(),
        maxSeq === null ? 0 : count((select) => select.where("audit_search.seq", ">", maxSeq)),
      ]);
      return all - newer;
    }
    const options = await this.#scope.optionsFor(query);
    return count((select) => {
      const filtered = select.where((eb) => auditQueryCondition(eb, query, options));
      return maxSeq === null ? filtered : filtered.where("audit_search.seq", "<=", maxSeq);
    });
  }

  /** Every matching event in the order, read in pages (constant memory, no cap). */
  async *scan(
    query: AuditQuery,
    order: SearchOrder,
    options: { maxSeq?: number | null; pageSize?: number } = {},
  ): AsyncGenerator<AuditRow> {
    const { maxSeq = null, pageSize = 1000 } = options;
    let afterSeq: number | null = null;
    for (;;) {
      const rows = await this.page({ query, limit: pageSize, afterSeq, order, maxSeq });
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < pageSize) return;
      afterSeq = last.seq;
    }
  }
}

/**
 * What a page sorts by. PostgreSQL, free text the probe found rare: `seq + 0` keeps the planner
 * from walking the primary key in the hope of an early match. It guesses a word it has no
 * statistics for at 0.1 % of events, so a word no event contains took 8 s on 10 million events;
 * with `seq + 0` it reads the word's matches from the GIN index and sorts them.
 */
function seqOrder(sortMatches: boolean): RawBuilder<number> {
  return sortMatches ? sql<number>`audit_search.seq + 0` : sql<number>`audit_search.seq`;
}

/** The lower of two optional bounds (null: none). */
function lowest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

/** The free text every match must contain: the query itself, or the text terms of its top AND. */
function topLevelText(query: QueryNode): Extract<QueryNode, { kind: "text" }>[] {
  if (query.kind === "text") return [query];
  if (query.kind !== "and") return [];
  return query.children.filter(
    (child): child is Extract<QueryNode, { kind: "text" }> => child.kind === "text",
  );
}

/** Whether the query has free text anywhere. */
function hasText(node: QueryNode): boolean {
  switch (node.kind) {
    case "and":
    case "or":
      return node.children.some(hasText);
    case "not":
      return hasText(node.child);
    default:
      return node.kind === "text";
  }
}
