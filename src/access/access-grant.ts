import { DomainError } from "../errors/domain-error.ts";
import { compilePackagePatterns } from "./package-pattern.ts";
import { grants, type TokenScope } from "./token-scope.ts";

/** What an authenticated request may do: the outcome of `TokenService.authenticate`. */
export interface AccessGrant {
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
  });
}

/** Patterns never contain a newline, so the sorted patterns joined by newlines identify the set. */
export function packagePatternsKey(patterns: readonly string[]): string {
  return [...patterns].sort().join("\n");
}

/** Throws `forbidden`/`InsufficientScope` unless the grant holds the scope. */
export function requireScope(grant: AccessGrant, scope: TokenScope): void {
  if (!grant.hasScope(scope)) {
    throw new DomainError("forbidden", "InsufficientScope", `this token lacks the "${scope}" scope`);
  }
}

/** Throws `forbidden`/`PackageNotAllowed` unless the grant's package patterns cover the package. */
export function requirePackage(grant: AccessGrant, name: string): void {
  if (!grant.canSeePackage(name)) {
    throw new DomainError("forbidden", "PackageNotAllowed", `this token may not access ${name}`);
  }
}
