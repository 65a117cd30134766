import type { AuditRow } from "../storage/database/audit-records.ts";
import type { AuditEvent } from "./audit-event.ts";

/** The envelope as table columns (JSON members as text). */
export function eventToRow(event: AuditEvent, leafHashHex: string): AuditRow {
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
  };
}

/**
 * The event back from its columns. Verification hashes what this returns, so an edit to any
 * column changes the leaf.
 */
export function rowToEvent(row: AuditRow): AuditEvent {
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
