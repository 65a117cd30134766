import type { AuditActor, AuditContext, AuditEvent, AuditEventInput } from "../../src/audit/audit-event.ts";
import type { AuditTrail } from "../../src/audit/audit-trail.ts";

/** An audit trail that keeps what services record, for unit tests that need no real log. */
export interface RecordingTrail extends AuditTrail {
  readonly events: AuditEventInput[];
}

export function recordingTrail(
  actor: AuditActor = { type: "console", id: "console", auth_method: "cli" },
): RecordingTrail {
  const context: AuditContext = { actor, ipAddress: null, userAgent: null, requestId: null };
  const events: AuditEventInput[] = [];
  return {
    context,
    events,
    record: (input) => {
      events.push(input);
      return Promise.resolve({ ...input, actor } as unknown as AuditEvent);
    },
  };
}

/** The trail of a signed-in person. */
export const userTrail = (userId: string): RecordingTrail =>
  recordingTrail({ type: "user", id: userId, auth_method: "session" });
