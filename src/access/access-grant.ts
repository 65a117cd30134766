import { DomainError } from "../errors/domain-error.ts";
import { compilePackagePatterns } from "./package-pattern.ts";
import { coversScope, rolePermissions, scopeFor, tokenPermissions, type Permission } from "./permission.ts";
import type { TokenScope } from "./token-scope.ts";
import type { UserRole } from "./user-role.ts";

/** The person behind a grant: a dashboard session's user, or a personal token's owner. */
export interface GrantUser {
  readonly id: string;
  readonly role: UserRole;
}

/**
 * What an authenticated request may do: the outcome of `TokenService.authenticate`, or of a
 * dashboard session (`sessionGrant`).
 */
export interface AccessGrant {
  /** How the request authenticated: an API token (personal or not) or a dashboard session. */
  readonly via: "token" | "session";
  /** The token's id; for a session, `session:` + the user's id. */
  readonly tokenId: string;
  /** Safe to log and to show. */
  readonly fingerprint: string;
  /** The token's scopes as stored (for a personal token `permissions` may be narrower); none for a session. */
  readonly scopes: readonly TokenScope[];
  /**
   * Identifies the token's package patterns: grants with equal keys see exactly the same packages
   * (for caches of what a token may see). The empty string means every package.
   */
  readonly patternsKey: string;
  /**
   * When the token's access last changed (scopes, patterns), or null. packages.json depends on it:
   * its Last-Modified is the later of this and the catalog's change.
   */
  readonly changedAt: string | null;
  /** Whether the token's package patterns let it see this package. */
  canSeePackage(name: string): boolean;
  /**
   * Whether a token's grant covers everything this scope grants (`admin` ⊃ `write` ⊃ `read`). For
   * a personal token this is checked against `permissions`, the scopes narrowed by the owner's
   * role: a viewer's `admin` token does not have `admin`. Always false for a session.
   */
  hasScope(scope: TokenScope): boolean;
  /**
   * What the grant allows: a token's scopes as permissions, narrowed for a personal token to those
   * its owner's role allows; or a person's role.
   */
  readonly permissions: ReadonlySet<Permission>;
  /** The person behind a session, or the owner of a personal token; null for an unowned token. */
  readonly user: GrantUser | null;
}

export function createAccessGrant(token: {
  readonly tokenId: string;
  readonly fingerprint: string;
  readonly scopes: readonly TokenScope[];
  /** Empty means every package. */
  readonly packagePatterns: readonly string[];
  /** A compiled matcher for `packagePatterns`, when the caller has one already. */
  readonly matcher?: (name: string) => boolean;
  readonly changedAt?: string | null;
  /** The owner of a personal token: the grant is never wider than the owner's role. */
  readonly owner?: GrantUser | null;
}): AccessGrant {
  const matcher = token.matcher ?? compilePackagePatterns(token.packagePatterns);
  const scopes = Object.freeze([...token.scopes]);
  const owner = token.owner ?? null;
  const permissions = tokenPermissions(scopes, owner?.role ?? null);
  return Object.freeze({
    via: "token",
    tokenId: token.tokenId,
    fingerprint: token.fingerprint,
    scopes,
    patternsKey: packagePatternsKey(token.packagePatterns),
    changedAt: token.changedAt ?? null,
    canSeePackage: (name: string) => matcher(name),
    hasScope: (scope: TokenScope) => coversScope(permissions, scope),
    permissions,
    user: owner === null ? null : Object.freeze({ id: owner.id, role: owner.role }),
  });
}

/** The grant of a dashboard session: the role's permissions, every package. */
export function sessionGrant(user: GrantUser): AccessGrant {
  const permissions = rolePermissions(user.role);
  return Object.freeze({
    via: "session",
    tokenId: `session:${user.id}`,
    fingerprint: user.id,
    scopes: Object.freeze([]),
    patternsKey: "",
    changedAt: null,
    canSeePackage: () => true,
    hasScope: () => false,
    permissions,
    user: Object.freeze({ id: user.id, role: user.role }),
  });
}

/**
 * Throws `forbidden` unless the grant allows `permission`: `InsufficientRole` for a person, and for
 * a personal token whose owner's role does not allow it (a wider scope would not help);
 * `InsufficientScope` for any other token (with the scope to ask for).
 */
export function requirePermission(grant: AccessGrant, permission: Permission): void {
  if (grant.permissions.has(permission)) return;
  const user = grant.user;
  if (user !== null && (grant.via === "session" || !rolePermissions(user.role).has(permission))) {
    throw new DomainError(
      "forbidden",
      "InsufficientRole",
      grant.via === "session"
        ? `the ${user.role} role does not allow ${permission}`
        : `this token's owner has the ${user.role} role, which does not allow ${permission}`,
      { required_permission: permission },
    );
  }
  throw new DomainError(
    "forbidden",
    "InsufficientScope",
    `this token lacks the "${scopeFor(permission)}" scope`,
  );
}

/** Patterns never contain a newline, so the sorted patterns joined by newlines identify the set. */
export function packagePatternsKey(patterns: readonly string[]): string {
  return [...patterns].sort().join("\n");
}

/** Throws `forbidden`/`PackageNotAllowed` unless the grant's package patterns cover the package. */
export function requirePackage(grant: AccessGrant, name: string): void {
  if (!grant.canSeePackage(name)) {
    throw new DomainError("forbidden", "PackageNotAllowed", `this token may not access ${name}`);
  }
}
