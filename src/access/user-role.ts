import { invalidInput } from "../errors/domain-error.ts";
import type { TokenScope } from "./token-scope.ts";

/**
 * What a person may do:
 * - `admin`: everything, users and settings included;
 * - `maintainer`: repositories, packages and tokens;
 * - `auditor`: read, export and verify the audit log, nothing else;
 * - `viewer`: read packages and repositories.
 */
export const userRoles = ["admin", "maintainer", "auditor", "viewer"] as const;

export type UserRole = (typeof userRoles)[number];

export function isUserRole(value: unknown): value is UserRole {
  return typeof value === "string" && (userRoles as readonly string[]).includes(value);
}

/** A role given by a client; anything else → `invalidInput("InvalidRole")`. */
export function parseUserRole(value: unknown): UserRole {
  if (isUserRole(value)) return value;
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : typeof value;
  throw invalidInput("InvalidRole", `unknown role ${shown}; the roles are ${userRoles.join(", ")}`, {
    field: "role",
  });
}

/**
 * The widest token scope a role may hold: a personal token is never wider than its owner's role.
 * An auditor's reads of the audit log go through the role itself (a session or a personal
 * token checked against it), not through a scope, so its tokens read packages only.
 */
export const ROLE_MAX_SCOPE: Readonly<Record<UserRole, TokenScope>> = {
  admin: "admin",
  maintainer: "write",
  auditor: "read",
  viewer: "read",
};
