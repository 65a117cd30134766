import { PostgresAdapter, type Kysely } from "kysely";
import type { QueryNode } from "../../audit/search/audit-query.ts";
import { DomainError } from "../../errors/domain-error.ts";
import { AuditSearchIndex } from "./audit-search-index.ts";
import type { AuditQuerySqlOptions } from "./audit-query-sql.ts";
import type { Database } from "./database-schema.ts";

/** How long a search waits for the search index to catch up with the log, by default. */
export const DEFAULT_INDEX_WAIT_MS = 5000;

/**
 * What every read of the audit log by query needs before its SQL (the search's pages and counts,
 * the histogram): the search index caught up with the log, or a 503 saying how far it is; and the
 * query's SQL options, with the subjects of its exact `actor:` values looked up (their e-mail or
 * name: the query then names the ids it looks for, see `subjects` in audit-query-sql.ts).
 */
export class AuditQueryScope {
  /** The engine and the IP search keys, without subjects. */
  readonly options: AuditQuerySqlOptions;
  readonly #db: Kysely<Database>;
  readonly #index: AuditSearchIndex;
  readonly #indexWaitMs: number;

  /**
   * `indexWaitMs`: how long a read may spend catching the search index up before it is refused
   * (503 AuditSearchIndexing); the CLI waits as long as it takes.
   */
  constructor(
    db: Kysely<Database>,
    ipKeys: AuditQuerySqlOptions["ipKeys"],
    indexWaitMs = DEFAULT_INDEX_WAIT_MS,
  ) {
    this.#db = db;
    const engine = db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
    this.options = { engine, ipKeys };
    this.#index = new AuditSearchIndex(db);
    this.#indexWaitMs = indexWaitMs;
  }

  /**
   * Catches the search index up to the log (up to `maxSeq` when given), so a read sees every event
   * committed before it began. The indexer normally keeps up; after a burst, a migration or a
   * deleted index this may take a while, and past the wait allowed a read is refused with how far
   * the index has come (503) rather than answered from part of the log.
   */
  async indexed(maxSeq: number | null = null): Promise<void> {
    const status = await this.#index.catchUp({
      ...(maxSeq === null ? {} : { until: maxSeq }),
      deadline: Date.now() + this.#indexWaitMs,
    });
    const target = maxSeq === null ? status.size : Math.min(maxSeq, status.size);
    if (status.indexedThrough >= target) return;
    throw new DomainError(
      "unavailable",
      "AuditSearchIndexing",
      `the audit search index is catching up with the log (${status.indexedThrough} of ${status.size} events indexed); try again shortly`,
      { indexed: status.indexedThrough, size: status.size, retryAfter: 5 },
    );
  }

  /** The options for `query`, with the subjects of its exact `actor:` values, in one lookup. */
  async optionsFor(query: QueryNode | null): Promise<AuditQuerySqlOptions> {
    const values = [...new Set(query === null ? [] : actorValues(query))];
    if (values.length === 0) return this.options;
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
    return { ...this.options, subjects };
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
