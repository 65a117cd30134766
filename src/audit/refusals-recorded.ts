import { ZodError } from "zod";
import { DomainError } from "../errors/domain-error.ts";
import type { AuditCategory, AuditTarget } from "./audit-event.ts";
import type { AuditTrail } from "./audit-trail.ts";

/**
 * Runs a change; a refusal (a DomainError, or input its schema refused) is recorded as the
 * change's event with outcome failure and the error's code, then thrown on. Other errors are
 * failures of the server, not refusals, and are only thrown.
 */
export async function refusalsRecorded<T>(
  trail: AuditTrail,
  change: { readonly event: AuditCategory; readonly action: string; readonly target: AuditTarget },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code =
      error instanceof DomainError ? error.code : error instanceof ZodError ? "InvalidRequest" : null;
    if (code !== null) {
      await trail.record({ ...change, outcome: "failure", details: { code } });
    }
    throw error;
  }
}
