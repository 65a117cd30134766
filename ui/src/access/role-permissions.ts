import type { Role } from "../api/api-types.ts";

/** The permissions of the API (docs/api.md, "Roles and permissions") the dashboard asks about. */
export type Permission =
  | "packages:read"
  | "packages:write"
  | "packages:delete"
  | "repositories:read"
  | "repositories:write"
  | "repositories:sync"
  | "tokens:manage"
  | "audit:read"
  | "settings:manage"
  | "users:manage"
  | "audit:raw-ip";

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set([
    "packages:read",
    "packages:write",
    "packages:delete",
    "repositories:read",
    "repositories:write",
    "repositories:sync",
    "tokens:manage",
    "audit:read",
    "settings:manage",
    "users:manage",
    "audit:raw-ip",
  ]),
  maintainer: new Set([
    "packages:read",
    "packages:write",
    "packages:delete",
    "repositories:read",
    "repositories:write",
    "repositories:sync",
    "tokens:manage",
  ]),
  auditor: new Set(["audit:read"]),
  viewer: new Set(["packages:read", "repositories:read"]),
};

/** Whether a person of `role` may use what needs `permission` (the server decides in the end). */
export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
