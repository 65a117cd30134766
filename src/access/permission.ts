import type { TokenScope } from "./token-scope.ts";
import type { UserRole } from "./user-role.ts";

/**
 * What a route needs. Tokens hold scopes and people hold roles; both come down to these:
 * - `packages:read`: Composer metadata and dists, the package list;
 * - `packages:write`: uploads; `packages:delete`: deleting a version;
 * - `repositories:read` / `repositories:write`: the repository API (`write`: add, change,
 *   remove); `repositories:sync`: start a sync;
 * - `tokens:manage`: create, list, change and revoke tokens;
 * - `users:manage`: people, roles, invitations, 2FA resets;
 * - `settings:manage`: settings, audit retention and legal hold, purges;
 * - `audit:read`: search, export, proofs, verification, checkpoints;
 * - `audit:raw-ip`: read a raw client address kept beside an event.
 */
export const permissions = [
  "packages:read",
  "packages:write",
  "packages:delete",
  "repositories:read",
  "repositories:write",
  "repositories:sync",
  "tokens:manage",
  "users:manage",
  "settings:manage",
  "audit:read",
  "audit:raw-ip",
] as const;

export type Permission = (typeof permissions)[number];

/** Each scope implies the ones before it, as it always did (`admin` ⊃ `write` ⊃ `read`). */
const SCOPE_PERMISSIONS: Readonly<Record<TokenScope, readonly Permission[]>> = {
  read: ["packages:read"],
  write: ["packages:read", "packages:write", "repositories:sync"],
  admin: permissions,
};

/** The roles of the management API (docs/api.md, "Roles"). */
export const ROLE_PERMISSIONS: Readonly<Record<UserRole, readonly Permission[]>> = {
  admin: permissions,
  maintainer: [
    "packages:read",
    "packages:write",
    "packages:delete",
    "repositories:read",
    "repositories:write",
    "repositories:sync",
    "tokens:manage",
  ],
  auditor: ["audit:read"],
  viewer: ["packages:read", "repositories:read"],
};

export function scopePermissions(scopes: readonly TokenScope[]): ReadonlySet<Permission> {
  return new Set(scopes.flatMap((scope) => SCOPE_PERMISSIONS[scope]));
}

export function rolePermissions(role: UserRole): ReadonlySet<Permission> {
  return new Set(ROLE_PERMISSIONS[role]);
}

/**
 * What a token may do: its scopes' permissions, and for a personal token only those its owner's
 * role allows too. Computed on every request, so a role change narrows the owner's tokens at once.
 */
export function tokenPermissions(
  scopes: readonly TokenScope[],
  ownerRole: UserRole | null,
): ReadonlySet<Permission> {
  const granted = scopePermissions(scopes);
  if (ownerRole === null) return granted;
  const allowed = ROLE_PERMISSIONS[ownerRole];
  return new Set([...granted].filter((permission) => allowed.includes(permission)));
}

/** Whether holding `permissions` covers everything `scope` grants. */
export function coversScope(permissions: ReadonlySet<Permission>, scope: TokenScope): boolean {
  return SCOPE_PERMISSIONS[scope].every((permission) => permissions.has(permission));
}

/** The narrowest scope that grants `permission` (what a refused token is told to get). */
export function scopeFor(permission: Permission): TokenScope {
  if (SCOPE_PERMISSIONS.read.includes(permission)) return "read";
  return SCOPE_PERMISSIONS.write.includes(permission) ? "write" : "admin";
}
