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
}

type Builder = ExpressionBuilder<Database, "audit_logs">;
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
 * A parsed audit query as a Kysely condition over `audit_logs`. Every value travels as a bound
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
      const column = sql.ref(`audit_logs.${COLUMNS[node.field]}`);
      if (node.field === "user" && !node.prefix) {
        // `actor:` also takes a person's e-mail address or name, through the subjects beside the log.
        return sql<SqlBool>`(${column} = ${node.value} or ${column} in (select id from audit_subjects where email = ${node.value} or name = ${node.value}))`;
      }
      if (!node.prefix) return sql<SqlBool>`${column} = ${node.value}`;
      return sql<SqlBool>`(${column} >= ${node.value} and ${column} < ${node.value + MAX})`;
    }
    case "ip": {
      if (node.exact !== null) {
        const keys = [...new Set(options.ipKeys(node.exact))];
        return eb("audit_logs.ip_key", "in", keys);
      }
      return eb.and([
        eb("audit_logs.ip_key", ">=", node.range.first),
        eb("audit_logs.ip_key", "<=", node.range.last),
      ]);
    }
    case "created": {
      const bounds: Condition[] = [];
      if (node.from !== null) bounds.push(eb("audit_logs.timestamp", ">=", node.from));
      if (node.to !== null) bounds.push(eb("audit_logs.timestamp", "<", node.to));
      return bounds.length === 0 ? sql<SqlBool>`1 = 1` : eb.and(bounds);
    }
    case "text":
      return options.engine === "sqlite"
        ? sql<SqlBool>`audit_logs.seq in (select rowid from audit_fts where audit_fts match ${fts5Phrase(node.text)})`
        : sql<SqlBool>`audit_logs.search_vector @@ phraseto_tsquery('simple', ${node.text})`;
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
