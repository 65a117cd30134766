import { DomainError } from "../errors/domain-error.ts";
import type { AuditTrail } from "./audit-trail.ts";

/**
 * Runs a read of the audit log and records it on `trail` as an `audit` event of `action` (every
 * search and histogram is itself audited): on success with `details` and what `outcome` says of
 * the result, on a refusal (a DomainError, rethrown) with its code and message.
 */
export async function recordedAuditRead<T>(
  trail: AuditTrail,
  action: string,
  details: Readonly<Record<string, unknown>>,
  read: () => Promise<T>,
  outcome: (result: T) => Readonly<Record<string, unknown>>,
): Promise<T> {
  let result: T;
  try {
    result = await read();
  } catch (error) {
    if (error instanceof DomainError) {
      await trail.record({
        event: "audit",
        action,
        outcome: "failure",
        target: { type: "audit_log" },
        details: { ...details, code: error.code, error: error.message },
      });
    }
    throw error;
  }
  await trail.record({
    event: "audit",
    action,
    outcome: "success",
    target: { type: "audit_log" },
    details: { ...details, ...outcome(result) },
  });
  return result;
}
