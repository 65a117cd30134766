import { DomainError } from "../errors/domain-error.ts";
import { compilePackagePatterns } from "./package-pattern.ts";
import { rolePermissions, scopeFor, scopePermissions, type Permission } from "./permission.ts";
import { grants, type TokenScope } from "./token-scope.ts";
import type { UserRole } from "./user-role.ts";

/**
 * What an authenticated request may do: the outcome of `TokenService.authenticate`, or of a
 * dashboard session (`sessionGrant`).
 */
export interface AccessGrant {
  /** The token's id; for a session, `session:` + the user's id. */
  readonly tokenId: string;
  /** Safe to log and to show. */
  readonly fingerprint: string;
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
  /** Whether the token holds this scope, directly or by implication (`admin` ⊃ `write` ⊃ `read`). */
  hasScope(scope: TokenScope): boolean;
  /** What the grant allows: a token's scopes, or a person's role, as permissions. */
  readonly permissions: ReadonlySet<Permission>;
  /** The person behind a session (null for a token). */
  readonly user: { readonly id: string; readonly role: UserRole } | null;
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
}): AccessGrant {
  const matcher = token.matcher ?? compilePackagePatterns(token.packagePatterns);
  const scopes = Object.freeze([...token.scopes]);
  return Object.freeze({
    tokenId: token.tokenId,
    fingerprint: token.fingerprint,
    scopes,
    patternsKey: packagePatternsKey(token.packagePatterns),
    changedAt: token.changedAt ?? null,
    canSeePackage: (name: string) => matcher(name),
    hasScope: (scope: TokenScope) => grants(scopes, scope),
    permissions: scopePermissions(scopes),
    user: null,
  });
}

/** The grant of a dashboard session: the role's permissions, every package. */
export function sessionGrant(user: { readonly id: string; readonly role: UserRole }): AccessGrant {
  const permissions = rolePermissions(user.role);
  return Object.freeze({
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
 * Throws `forbidden` unless the grant allows `permission`: `InsufficientScope` for a token (with
 * the scope to ask for), `InsufficientRole` for a person.
 */
export function requirePermission(grant: AccessGrant, permission: Permission): void {
  if (grant.permissions.has(permission)) return;
  if (grant.user !== null) {
    throw new DomainError(
      "forbidden",
      "InsufficientRole",
      `the ${grant.user.role} role does not allow ${permission}`,
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
