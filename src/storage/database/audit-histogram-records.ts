import { PostgresAdapter, sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import type { QueryNode } from "../../audit/search/audit-query.ts";
import { DomainError } from "../../errors/domain-error.ts";
import { AuditSearchIndex } from "./audit-search-index.ts";
import { DEFAULT_INDEX_WAIT_MS } from "./audit-search-records.ts";
import { auditQueryCondition, type AuditQuerySqlOptions } from "./audit-query-sql.ts";
import type { Database } from "./database-schema.ts";

/** A half-open range of `created` ([from, to), `toISOString()` text); null is an open side. */
export interface CreatedWindow {
  readonly from: string | null;
  readonly to: string | null;
}

/** The buckets to count: `widthSeconds` wide, bucket 0 starting at `firstStartSeconds` (UTC epoch). */
export interface BucketGrid {
  readonly firstStartSeconds: number;
  readonly widthSeconds: number;
}

/**
 * Counts the events a query matches per interval of time, in the database: one GROUP BY over the
 * search index (`audit_search`), the same rows and the same WHERE clause as the search's count
 * (audit-search-records.ts), so the histogram's counts are the search's. The bucket of an event is
 * computed in SQL from its `timestamp` (ISO 8601 text): SQLite `unixepoch`, PostgreSQL
 * `extract(epoch ...)`; every value is a bound parameter.
 */
export class AuditHistogramRecords {
  readonly #db: Kysely<Database>;
  readonly #options: AuditQuerySqlOptions;
  readonly #index: AuditSearchIndex;
  readonly #indexWaitMs: number;

  constructor(
    db: Kysely<Database>,
    ipKeys: AuditQuerySqlOptions["ipKeys"],
    indexWaitMs = DEFAULT_INDEX_WAIT_MS,
  ) {
    this.#db = db;
    const engine = db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
    this.#options = { engine, ipKeys };
    this.#index = new AuditSearchIndex(db);
    this.#indexWaitMs = indexWaitMs;
  }

  /**
   * The `timestamp` of the first and the last matching event in the window, or null when none
   * matches. Two subqueries, so that each is an index walk that stops at its first match when
   * the query allows (SQLite computes `min` and `max` together by reading every match).
   */
  async bounds(
    query: QueryNode | null,
    window: CreatedWindow,
  ): Promise<{ first: string; last: string } | null> {
    await this.#indexed();
    const options = await this.#withSubjects(query);
    const where = this.#where(query, window, options);
    const row = await this.#db
      .selectNoFrom((eb) => [
        eb
          .selectFrom("audit_search")
          .select((inner) => inner.fn.min("audit_search.timestamp").as("t"))
          .where(where)
          .as("first"),
        eb
          .selectFrom("audit_search")
          .select((inner) => inner.fn.max("audit_search.timestamp").as("t"))
          .where(where)
          .as("last"),
      ])
      .executeTakeFirst();
    const first = row?.first ?? null;
    const last = row?.last ?? null;
    return first === null || last === null ? null : { first, last };
  }

  /** Matching events per bucket index (0 = the grid's first bucket) within the window. */
  async counts(
    query: QueryNode | null,
    window: CreatedWindow,
    grid: BucketGrid,
  ): Promise<Map<number, number>> {
    await this.#indexed();
    const options = await this.#withSubjects(query);
    const rows = await this.#db
      .selectFrom("audit_search")
      .select([this.#bucket(grid).as("bucket"), (eb) => eb.fn.countAll<number | string>().as("n")])
      .where(this.#where(query, window, options))
      // The output column's name: the same expression written twice would hold other parameters.
      .groupBy(sql.ref("bucket"))
      .execute();
    return new Map(rows.map((row) => [Number(row.bucket), Number(row.n)]));
  }

  /**
   * Whole buckets from the grid's start: every event of the window (whose start is not open) is at or after it, so the
   * difference is never negative and integer division is the floor.
   */
  #bucket(grid: BucketGrid): RawBuilder<number | string> {
    const { firstStartSeconds: start, widthSeconds: width } = grid;
    if (this.#options.engine === "postgres") {
      return sql<string>`div(floor(extract(epoch from cast(audit_search.timestamp as timestamptz)))::numeric - ${String(start)}::numeric, ${String(width)}::numeric)`;
    }
    return sql<number>`(unixepoch(audit_search.timestamp) - cast(${start} as integer)) / cast(${width} as integer)`;
  }

  #where(
    query: QueryNode | null,
    window: CreatedWindow,
    options: AuditQuerySqlOptions,
  ): (eb: Parameters<typeof auditQueryCondition>[0]) => Expression<SqlBool> {
    return (eb) => {
      const conditions: Expression<SqlBool>[] = [];
      if (query !== null) conditions.push(auditQueryCondition(eb, query, options));
      if (window.from !== null) conditions.push(eb("audit_search.timestamp", ">=", window.from));
      if (window.to !== null) conditions.push(eb("audit_search.timestamp", "<", window.to));
      return conditions.length === 0 ? sql<SqlBool>`1 = 1` : eb.and(conditions);
    };
  }

  /** As the search: the exact `actor:` values' subjects looked up first (audit-search-records.ts). */
  async #withSubjects(query: QueryNode | null): Promise<AuditQuerySqlOptions> {
    const values = [...new Set(query === null ? [] : actorValues(query))];
    if (values.length === 0) return this.#options;
    const rows = await this.#db
      .selectFrom("audit_subjects")
      .select(["id", "email", "name"])
      .where((eb) => eb.or([eb("email", "in", values), eb("name", "in", values)]))
      .execute();
    const subjects = new Map(
      values.map((value) => [
        value,
        rows.filter((row) => row.email === value || row.name === value).map((row) => row.id),
      ]),
    );
    return { ...this.#options, subjects };
  }

  /** As the search: the index caught up with the log first, or a 503 saying how far it is. */
  async #indexed(): Promise<void> {
    const status = await this.#index.catchUp({ deadline: Date.now() + this.#indexWaitMs });
    if (status.indexedThrough >= status.size) return;
    throw new DomainError(
      "unavailable",
      "AuditSearchIndexing",
      `the audit search index is catching up with the log (${status.indexedThrough} of ${status.size} events indexed); try again shortly`,
      { indexed: status.indexedThrough, size: status.size, retryAfter: 5 },
    );
  }
}

/** The values of the exact `actor:`/`user:` terms of a query. */
function actorValues(node: QueryNode): string[] {
  switch (node.kind) {
    case "and":
    case "or":
      return node.children.flatMap(actorValues);
    case "not":
      return actorValues(node.child);
    case "term":
      return node.field === "user" && !node.prefix ? [node.value] : [];
    default:
      return [];
  }
}
