import { invalidInput } from "../errors/domain-error.ts";

/**
 * What a token may do. Each scope implies the ones before it:
 * - `read`: package metadata and dists (what `composer install` needs);
 * - `write`: uploads and repository syncs; implies `read`;
 * - `admin`: the management API (tokens, repositories); implies `write` and `read`.
 */
export const tokenScopes = ["read", "write", "admin"] as const;

export type TokenScope = (typeof tokenScopes)[number];

const RANK: Readonly<Record<TokenScope, number>> = { read: 0, write: 1, admin: 2 };

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** Whether holding `held` allows what `needed` allows (directly or by implication). */
export function grants(held: readonly TokenScope[], needed: TokenScope): boolean {
  const rank = RANK[needed];
  return held.some((scope) => RANK[scope] >= rank);
}

/**
 * Validates scopes given by a client: at least one, each known. Returns them without duplicates,
 * in the order of `tokenScopes`. Invalid → `invalidInput("InvalidScope")`.
 */
export function parseTokenScopes(input: readonly unknown[]): TokenScope[] {
  if (input.length === 0) {
    throw invalidInput("InvalidScope", `a token needs at least one scope (${tokenScopes.join(", ")})`);
  }
  for (const scope of input) {
    if (!isTokenScope(scope)) {
      throw invalidInput(
        "InvalidScope",
        `unknown scope ${describe(scope)}; the scopes are ${tokenScopes.join(", ")}`,
      );
    }
  }
  return tokenScopes.filter((scope) => input.includes(scope));
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : `(a ${typeof value})`;
}
