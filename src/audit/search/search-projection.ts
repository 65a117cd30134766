import type { AuditRow } from "../../storage/database/audit-records.ts";

/**
 * What the search index keeps of one event (`audit_search`): the columns queries filter on and
 * the text free-text search matches. Derived from the stored row, never part of the leaf, and
 * removed when retention purges the event.
 */
export interface SearchProjection {
  readonly seq: number;
  readonly timestamp: string;
  readonly event: string;
  readonly action: string;
  readonly severity: string;
  readonly outcome: string;
  readonly user: string | null;
  readonly package_name: string | null;
  readonly package_version: string | null;
  readonly repository_name: string | null;
  readonly token_ref: string | null;
  readonly ip_key: string | null;
  readonly request_id: string | null;
  /** The words free text matches: every column of the envelope, JSON members as their text. */
  readonly text: string;
}

/** A stored row with its address's search key (computed when the event was written). */
export type IndexableRow = AuditRow & { readonly ip_key: string | null };

/**
 * The search keys and text of a stored event. A JSON column that does not parse (a tampered row:
 * `audit verify` reports it) gives no keys, and its text is indexed as it is: one bad row must not
 * stop the index.
 */
export function searchProjection(row: IndexableRow): SearchProjection {
  const actor = jsonObject(row.actor);
  const target = jsonObject(row.target);
  const details = jsonObject(row.details);
  const isPackage = target?.type === "package";
  return {
    seq: row.seq,
    timestamp: row.timestamp,
    event: row.event,
    action: row.action,
    severity: row.severity,
    outcome: row.outcome,
    user: row.user,
    package_name: isPackage ? text(target.name) : null,
    package_version: isPackage ? text(target.version) : null,
    repository_name: target?.type === "repository" ? text(target.name) : text(details?.repository),
    token_ref: actor?.type === "token" ? text(actor.id) : target?.type === "token" ? text(target.name) : null,
    ip_key: row.ip_key,
    request_id: row.request_id,
    text: [
      row.id,
      row.event,
      row.action,
      row.severity,
      row.outcome,
      row.user,
      row.actor,
      row.ip_address,
      row.user_agent,
      row.request_id,
      row.target,
      row.details,
    ]
      .filter((part) => part !== null && part !== "")
      .join(" "),
  };
}

function jsonObject(stored: string | null): Record<string, unknown> | null {
  if (stored === null) return null;
  try {
    const value: unknown = JSON.parse(stored);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** A member as a search key: strings and numbers (a version may be stored as either); else none. */
function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}
