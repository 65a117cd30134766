import { PostgresAdapter, type Kysely } from "kysely";
import type { AuditQuery } from "../../audit/search/audit-query.ts";
import type { SearchOrder } from "../../audit/search/search-cursor.ts";
import { AUDIT_ROW_COLUMNS, type AuditRow } from "./audit-records.ts";
import { auditQueryCondition, type AuditQuerySqlOptions } from "./audit-query-sql.ts";
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

/**
 * Reads the audit log by query, with keyset pagination on seq: a page is "the next N events after
 * seq S in this order", so events appended meanwhile never shift a page. Purged events (retention
 * cleared their payload) are not search results.
 */
export class AuditSearchRecords {
  readonly #db: Kysely<Database>;
  readonly #options: AuditQuerySqlOptions;

  constructor(db: Kysely<Database>, ipKeys: AuditQuerySqlOptions["ipKeys"]) {
    this.#db = db;
    const engine = db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
    this.#options = { engine, ipKeys };
  }

  async page(request: AuditPageRequest): Promise<AuditRow[]> {
    const { query, limit, afterSeq, order, maxSeq = null } = request;
    let select = this.#db
      .selectFrom("audit_logs")
      .select(AUDIT_ROW_COLUMNS.map((column) => `audit_logs.${column}` as const))
      .where("audit_logs.purged_at", "is", null)
      .orderBy("audit_logs.seq", order)
      .limit(limit);
    if (afterSeq !== null) select = select.where("audit_logs.seq", order === "desc" ? "<" : ">", afterSeq);
    if (maxSeq !== null) select = select.where("audit_logs.seq", "<=", maxSeq);
    if (query !== null) select = select.where((eb) => auditQueryCondition(eb, query, this.#options));
    return select.execute();
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
    let select = this.#db
      .selectFrom("audit_logs")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("audit_logs.purged_at", "is", null);
    if (maxSeq !== null) select = select.where("audit_logs.seq", "<=", maxSeq);
    if (query !== null) select = select.where((eb) => auditQueryCondition(eb, query, this.#options));
    const row = await select.executeTakeFirstOrThrow();
    return Number(row.n);
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
