import type { AccessGrant } from "../access/access-grant.ts";
import type { AuthenticatedSession } from "../access/session-service.ts";
import type { AuditTrail } from "../audit/audit-trail.ts";
import type { RequestOrigin } from "../audit/request-auditing.ts";

/** What middleware puts on the request context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set on Composer protocol routes: errors then carry a `warning` Composer prints. */
    composerRoute: boolean;
    /**
     * Set on the dashboard's session routes: a 401 there must not carry a Basic challenge (a
     * browser would answer it with its own password dialog).
     */
    sessionRoute: boolean;
    grant: AccessGrant;
    /** The dashboard session the guard accepted (absent for a token). */
    session: AuthenticatedSession;
    /** Where the request comes from, for audit events. */
    origin: RequestOrigin;
    /** The request's audit trail: anonymous until a token is accepted. */
    audit: AuditTrail;
  };
}
