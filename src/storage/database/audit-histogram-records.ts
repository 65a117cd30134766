import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import type { QueryNode } from "../../audit/search/audit-query.ts";
import { AuditQueryScope, DEFAULT_INDEX_WAIT_MS } from "./audit-query-scope.ts";
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
  readonly #scope: AuditQueryScope;

  constructor(
    db: Kysely<Database>,
    ipKeys: AuditQuerySqlOptions["ipKeys"],
    indexWaitMs = DEFAULT_INDEX_WAIT_MS,
  ) {
    this.#db = db;
    this.#scope = new AuditQueryScope(db, ipKeys, indexWaitMs);
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
    await this.#scope.indexed();
    const options = await this.#scope.optionsFor(query);
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
    await this.#scope.indexed();
    const options = await this.#scope.optionsFor(query);
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
    if (this.#scope.options.engine === "postgres") {
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
}
