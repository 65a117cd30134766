import type { Context, MiddlewareHandler } from "hono";
import type { AuditDetails, AuditTarget } from "../../audit/audit-event.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";

/**
 * Records a `package_access` event for the request, once its response is ready and before it is
 * sent: its outcome follows the status (2xx/3xx success, 403 denied, other 4xx/5xx failure).
 * `deniedAction` names the refusal when it has a name of its own (download -> download_denied).
 */
export function auditAccess(
  action: string,
  describe: (c: Context<AppEnv>) => { target: AuditTarget | null; details?: AuditDetails },
  deniedAction: string = action,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    const outcome = status < 400 ? "success" : status === 403 ? "denied" : "failure";
    const { target, details = {} } = describe(c);
    const error = c.error instanceof DomainError ? { code: c.error.code } : {};
    await c.get("audit").record({
      event: "package_access",
      action: outcome === "denied" ? deniedAction : action,
      outcome,
      target,
      details: { status, ...error, ...details },
    });
  };
}
