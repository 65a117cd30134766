import { DomainError } from "../errors/domain-error.ts";
import type { AccessGrant } from "./access-grant.ts";
import { scopePermissions } from "./permission.ts";
import type { TokenScope } from "./token-scope.ts";

/**
 * Throws `forbidden`/`ScopeBeyondGrant` unless the caller holds every permission `scopes` would
 * grant: nobody hands out more than they have. Without it a maintainer (who manages tokens) could
 * create an `admin` token and with it manage users, settings and the audit log. `what` says
 * whether the token is being created or changed, for the message.
 */
export function assertScopesGrantable(
  grant: AccessGrant,
  scopes: readonly TokenScope[],
  what: "create" | "change",
): void {
  const missing = [...scopePermissions(scopes)].filter((permission) => !grant.permissions.has(permission));
  if (missing.length === 0) return;
  const holder =
    grant.via === "session" && grant.user !== null ? `the ${grant.user.role} role` : "this token";
  throw new DomainError(
    "forbidden",
    "ScopeBeyondGrant",
    `${holder} cannot ${what} a token with the ${scopes.map((scope) => `"${scope}"`).join(", ")} scope${scopes.length === 1 ? "" : "s"}: it would allow ${missing.join(", ")}, which ${holder} does not`,
    { missing_permissions: missing },
  );
}
