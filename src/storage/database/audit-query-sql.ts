import { sql, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import type { QueryNode, TermField } from "../../audit/search/audit-query.ts";
import type { Database } from "./database-schema.ts";

export type SearchEngine = "sqlite" | "postgres";

export interface AuditQuerySqlOptions {
  readonly engine: SearchEngine;
  /**
   * Every stored form an exact address may have, whatever the IP mode was when an event was
   * written: its search key, the key of its truncated network, its keyed hash.
   */
  readonly ipKeys: (address: string) => readonly string[];
  /**
   * SQLite: free-text conditions FTS5 has already evaluated (audit-search-records.ts), and the
   * seqs, as a JSON array, of every event in the page's window that satisfies them. Those nodes
   * become a membership test in that list instead of a subquery over the whole FTS index.
   */
  readonly textCandidates?: TextCandidates;
  /**
   * For each exact `actor:` value, the ids of the subjects whose e-mail or name it is, looked up
   * before the query (audit-search-records.ts). The term is then a plain list of values, which an
   * index on `user` serves in seq order; without it, the term carries the lookup as a subquery,
   * and PostgreSQL then filters the whole log by it (bench/audit-search: a rare actor took 1 s).
   */
  readonly subjects?: ReadonlyMap<string, readonly string[]>;
}

export interface TextCandidates {
  readonly nodes: ReadonlySet<QueryNode>;
  /** A JSON array of seqs. */
  readonly seqs: string;
}

type Builder = ExpressionBuilder<Database, "audit_search">;
type Condition = Expression<SqlBool>;

/** The column each qualifier searches (all indexed, with seq last). */
const COLUMNS: Readonly<Record<TermField, string>> = {
  event: "event",
  action: "action",
  user: "user",
  token: "token_ref",
  package: "package_name",
  version: "package_version",
  repository: "repository_name",
  severity: "severity",
  outcome: "outcome",
  request: "request_id",
};

/**
 * The highest code point: `value || MAX` is above every text that starts with `value`, so a
 * prefix is a range scan of an index (both engines compare these columns bytewise; PostgreSQL's
 * are declared `collate "C"`).
 */
const MAX = String.fromCodePoint(0x10ffff);

/**
 * A parsed audit query as a Kysely condition over the search index (`audit_search`). Every value travels as a bound
 * parameter; the SQL text depends only on the query's shape, never on what was typed.
 */
export function auditQueryCondition(eb: Builder, node: QueryNode, options: AuditQuerySqlOptions): Condition {
  switch (node.kind) {
    case "and":
      return eb.and(node.children.map((child) => auditQueryCondition(eb, child, options)));
    case "or":
      return eb.or(node.children.map((child) => auditQueryCondition(eb, child, options)));
    case "not":
      // A term on a NULL column is NULL, and NOT NULL is NULL too: `-package:x` would then drop
      // every event without a package. "Is not true" keeps them.
      return sql<SqlBool>`(${auditQueryCondition(eb, node.child, options)}) is not true`;
    case "term": {
      const column = sql.ref(`audit_search.${COLUMNS[node.field]}`);
      if (node.field === "user" && !node.prefix) {
        const subjects = options.subjects?.get(node.value);
        if (subjects !== undefined) {
          const ids = [...new Set([node.value, ...subjects])];
          return ids.length === 1
            ? sql<SqlBool>`${column} = ${node.value}`
            : sql<SqlBool>`${column} in (${sql.join(ids)})`;
        }
        // `actor:` also takes a person's e-mail address or name, through the subjects beside the log.
        return sql<SqlBool>`(${column} = ${node.value} or ${column} in (select id from audit_subjects where email = ${node.value} or name = ${node.value}))`;
      }
      if (!node.prefix) return sql<SqlBool>`${column} = ${node.value}`;
      return sql<SqlBool>`(${column} >= ${node.value} and ${column} < ${node.value + MAX})`;
    }
    case "ip": {
      if (node.exact !== null) {
        const keys = [...new Set(options.ipKeys(node.exact))];
        return eb("audit_search.ip_key", "in", keys);
      }
      return eb.and([
        eb("audit_search.ip_key", ">=", node.range.first),
        eb("audit_search.ip_key", "<=", node.range.last),
      ]);
    }
    case "created": {
      const bounds: Condition[] = [];
      if (node.from !== null) bounds.push(eb("audit_search.timestamp", ">=", node.from));
      if (node.to !== null) bounds.push(eb("audit_search.timestamp", "<", node.to));
      return bounds.length === 0 ? sql<SqlBool>`1 = 1` : eb.and(bounds);
    }
    case "text": {
      if (options.engine === "postgres") {
        return sql<SqlBool>`audit_search.search_vector @@ phraseto_tsquery('simple', ${node.text})`;
      }
      const candidates = options.textCandidates;
      if (candidates?.nodes.has(node) === true) {
        return sql<SqlBool>`audit_search.seq in (select value from json_each(${candidates.seqs}))`;
      }
      return sql<SqlBool>`audit_search.seq in (select rowid from audit_fts where audit_fts match ${fts5Phrase(node.text)})`;
    }
  }
}

/**
 * Free text as an FTS5 phrase: the whole text in double quotes (quotes inside doubled), so FTS5
 * operators and column filters in the text are just words. A word is a phrase of one term; a
 * quoted phrase's terms must be adjacent.
 */
export function fts5Phrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}
