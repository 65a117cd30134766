import type { AuditRow, NewAuditRow } from "../storage/database/audit-records.ts";
import type { AuditEvent } from "./audit-event.ts";
import { auditIpKey } from "./search/audit-ip-key.ts";

/** The envelope as table columns (JSON members as text), with the search key of the address. */
export function eventToRow(event: AuditEvent, leafHashHex: string): NewAuditRow {
  return {
    seq: event.seq,
    id: event.id,
    schema_version: event.schema_version,
    timestamp: event.timestamp,
    event: event.event,
    action: event.action,
    severity: event.severity,
    outcome: event.outcome,
    user: event.user,
    actor: JSON.stringify(event.actor),
    ip_address: event.ip_address,
    user_agent: event.user_agent,
    request_id: event.request_id,
    target: event.target === null ? null : JSON.stringify(event.target),
    details: JSON.stringify(event.details),
    leaf_hash: leafHashHex,
    purged_at: null,
    ip_key: auditIpKey(event.ip_address),
  };
}

/** A row whose payload retention cleared: only its place in the log and its leaf hash remain. */
export function isPurged(row: AuditRow): boolean {
  return row.purged_at !== null;
}

/**
 * The event back from its columns. Verification hashes what this returns, so an edit to any
 * column changes the leaf. Throws for a purged row (it has no event left to rebuild).
 */
export function rowToEvent(row: AuditRow): AuditEvent {
  if (row.purged_at !== null || row.user === null || row.actor === null || row.details === null) {
    throw new Error(`audit event seq ${row.seq} has no payload (purged at ${row.purged_at ?? "?"})`);
  }
  return {
    schema_version: row.schema_version,
    id: row.id,
    seq: row.seq,
    timestamp: row.timestamp,
    event: row.event as AuditEvent["event"],
    action: row.action,
    severity: row.severity as AuditEvent["severity"],
    outcome: row.outcome as AuditEvent["outcome"],
    user: row.user,
    actor: JSON.parse(row.actor) as AuditEvent["actor"],
    ip_address: row.ip_address,
    user_agent: row.user_agent,
    request_id: row.request_id,
    target: row.target === null ? null : (JSON.parse(row.target) as AuditEvent["target"]),
    details: JSON.parse(row.details) as AuditEvent["details"],
  };
}
