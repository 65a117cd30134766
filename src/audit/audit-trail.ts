import type { AuditContext, AuditEvent, AuditEventInput } from "./audit-event.ts";
import type { AuditLog } from "./audit-log.ts";

/**
 * The audit log as seen by one request or command: it knows who acts, from where. Services take
 * one and record what they do; `record` resolves once the event is committed.
 */
export interface AuditTrail {
  readonly context: AuditContext;
  record(input: AuditEventInput): Promise<AuditEvent>;
}

export function auditTrail(log: AuditLog, context: AuditContext): AuditTrail {
  return { context, record: (input) => log.append(input, context) };
}
