import type { Role, TokenScope } from "../api/api-types.ts";
import { ROLE_PERMISSIONS, type Permission } from "./role-permissions.ts";

/** What each scope allows, as the API has it (docs/api.md): `admin` ⊃ `write` ⊃ `read`. */
export const SCOPE_PERMISSIONS: Readonly<Record<TokenScope, readonly Permission[]>> = {
  read: ["packages:read"],
  write: ["packages:read", "packages:write", "repositories:sync"],
  admin: [...ROLE_PERMISSIONS.admin],
};

const NARROWER: Readonly<Record<TokenScope, TokenScope | null>> = {
  read: null,
  write: "read",
  admin: "write",
};

/**
 * Whether a person of `role` can give a new token `scope`, and if not why: a token made on the
 * tokens screen (`personal` false) may allow nothing the role does not (the API refuses it with
 * ScopeBeyondGrant); a personal token is narrowed to the role when used, so a scope is worth
 * offering only when it adds something the narrower scope does not.
 */
export function scopeOffer(
  role: Role,
  scope: TokenScope,
  personal: boolean,
): { readonly usable: true } | { readonly usable: false; readonly reason: string } {
  const allowed = ROLE_PERMISSIONS[role];
  if (!personal) {
    return SCOPE_PERMISSIONS[scope].every((permission) => allowed.has(permission))
      ? { usable: true }
      : { usable: false, reason: `it would allow more than the ${role} role does` };
  }
  const within = (of: TokenScope | null) =>
    new Set(of === null ? [] : SCOPE_PERMISSIONS[of].filter((permission) => allowed.has(permission)));
  const narrower = within(NARROWER[scope]);
  const adds = [...within(scope)].some((permission) => !narrower.has(permission));
  if (adds) return { usable: true };
  return {
    usable: false,
    reason:
      within(scope).size === 0
        ? `it allows nothing the ${role} role does`
        : `for the ${role} role it allows no more than ${NARROWER[scope] ?? ""}`,
  };
}
