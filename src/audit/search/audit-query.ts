/**
 * The parsed form of an audit log search (docs/audit-search.md). `parseAuditQuery` builds it;
 * the SQL compiler turns it into a WHERE clause. Plain data, so it can be logged, compared in
 * tests and sent to another process.
 */

/** Columns compared by equality (or by prefix): `user` is the stable actor id, `token` a fingerprint or id. */
export type TermField =
  | "event"
  | "action"
  | "user"
  | "token"
  | "package"
  | "version"
  | "repository"
  | "severity"
  | "outcome"
  | "request";

/**
 * An inclusive range of addresses in `ipSortKey` form (32 lowercase hex digits, IPv4 mapped into
 * `::ffff:0:0/96`), so a CIDR query is `first <= ip_key and ip_key <= last`.
 */
export interface IpRange {
  readonly first: string;
  readonly last: string;
  /** The normalised input: `203.0.113.0/24`, `2001:db8::/32`, or an address alone. */
  readonly text: string;
}

export type QueryNode =
  /** At least 2 children, none of them an `and`. */
  | { readonly kind: "and"; readonly children: readonly QueryNode[] }
  /** At least 2 children, none of them an `or`. */
  | { readonly kind: "or"; readonly children: readonly QueryNode[] }
  /** Never directly around another `not`. */
  | { readonly kind: "not"; readonly child: QueryNode }
  /** `prefix`: the column starts with `value` (the `*` is not part of `value`). */
  | { readonly kind: "term"; readonly field: TermField; readonly value: string; readonly prefix: boolean }
  /**
   * `exact`: the address when no `/prefix` was written, in the canonical form the log stores
   * (IPv4 for IPv4-mapped addresses, RFC 5952 for IPv6), else null.
   */
  | { readonly kind: "ip"; readonly range: IpRange; readonly exact: string | null }
  /** Half-open [from, to) as `toISOString()` strings; null is an open side. */
  | { readonly kind: "created"; readonly from: string | null; readonly to: string | null }
  /** Free text as the user wrote it; `phrase` when it was quoted. */
  | { readonly kind: "text"; readonly text: string; readonly phrase: boolean };

/** null: no condition, every event matches. */
export type AuditQuery = QueryNode | null;

/**
 * A query the user must fix. The message names the problem and its position; `position` is the
 * 0-based offset (UTF-16 code units) of the offending character in the query text, so a UI can
 * put the cursor there. It is at most the length of the text (the end, for "missing ..." errors).
 */
export class AuditQueryError extends Error {
  override readonly name = "AuditQueryError";
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.position = position;
  }

  /** `<problem> at position <n>[; <hint>]`: the one shape of every message. */
  static at(position: number, problem: string, hint?: string): AuditQueryError {
    const message = `${problem} at position ${position}${hint === undefined ? "" : `; ${hint}`}`;
    return new AuditQueryError(message, position);
  }
}

/** A value as messages quote it: JSON-escaped, and cut so a 2,000-character value cannot flood a message. */
export function quoteForMessage(value: string): string {
  const limit = 60;
  return JSON.stringify(value.length > limit ? `${value.slice(0, limit)}…` : value);
}
