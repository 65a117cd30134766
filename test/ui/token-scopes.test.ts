import { describe, expect, it } from "vitest";
import { ROLE_PERMISSIONS as SERVER_ROLES, scopePermissions } from "../../src/access/permission.ts";
import { tokenScopes } from "../../src/access/token-scope.ts";
import { userRoles } from "../../src/access/user-role.ts";
import { ROLE_PERMISSIONS } from "../../ui/src/access/role-permissions.ts";
import { SCOPE_PERMISSIONS, scopeOffer } from "../../ui/src/access/token-scopes.ts";

describe("the dashboard's copy of roles and scopes", () => {
  it("is the API's: every role's permissions and every scope's", () => {
    for (const role of userRoles) {
      expect([...ROLE_PERMISSIONS[role]].sort(), role).toEqual([...SERVER_ROLES[role]].sort());
    }
    for (const scope of tokenScopes) {
      expect([...SCOPE_PERMISSIONS[scope]].sort(), scope).toEqual([...scopePermissions([scope])].sort());
    }
  });
});

describe("scopeOffer", () => {
  const usable = (role: "admin" | "maintainer" | "auditor" | "viewer", personal: boolean) =>
    tokenScopes.filter((scope) => scopeOffer(role, scope, personal).usable);

  it("offers an admin or maintainer on the tokens screen only what their role holds (the API's ScopeBeyondGrant)", () => {
    expect(usable("admin", false)).toEqual(["read", "write", "admin"]);
    expect(usable("maintainer", false)).toEqual(["read", "write"]);
    expect(scopeOffer("maintainer", "admin", false)).toEqual({
      usable: false,
      reason: "it would allow more than the maintainer role does",
    });
  });

  it("offers a personal token only the scopes that add something for the role", () => {
    expect(usable("viewer", true)).toEqual(["read", "admin"]);
    expect(scopeOffer("viewer", "write", true)).toEqual({
      usable: false,
      reason: "for the viewer role it allows no more than read",
    });
    expect(usable("auditor", true)).toEqual(["admin"]);
    expect(scopeOffer("auditor", "read", true)).toEqual({
      usable: false,
      reason: "it allows nothing the auditor role does",
    });
    expect(usable("maintainer", true)).toEqual(["read", "write", "admin"]);
  });
});
