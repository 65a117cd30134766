import { describe, expect, it } from "vitest";
import { requirePermission, sessionGrant } from "./access-grant.ts";
import { permissions } from "./permission.ts";
import {
  twoFactorEnrolmentGrant,
  twoFactorEnrolmentRequiredError,
  twoFactorEnrolmentRequiredEvent,
} from "./two-factor-enrolment.ts";

describe("an enrolment-only session", () => {
  it("is granted no permission and no package, even for an admin", () => {
    const user = { id: "usr_ada", role: "admin" as const };
    const grant = twoFactorEnrolmentGrant(user);
    expect(grant.permissions.size).toBe(0);
    expect(grant.user).toEqual(user);
    expect(grant.twoFactorEnrolmentRequired).toBe(true);
    expect(grant.canSeePackage("acme/widgets")).toBe(false);
    expect(grant.hasScope("read")).toBe(false);
    expect(grant.tokenId).toBe(sessionGrant(user).tokenId);
    for (const permission of permissions) {
      expect(() => {
        requirePermission(grant, permission);
      }).toThrow(expect.objectContaining({ kind: "forbidden" }));
    }
    expect(Object.isFrozen(grant)).toBe(true);
  });

  it("is told why, and its sign-in is recorded without secrets", () => {
    expect(twoFactorEnrolmentRequiredError()).toMatchObject({
      kind: "forbidden",
      code: "TwoFactorEnrolmentRequired",
    });
    expect(twoFactorEnrolmentRequiredEvent("usr_ada")).toEqual({
      event: "authentication",
      action: "two_factor_enrolment_required",
      outcome: "success",
      severity: "warning",
      target: { type: "user", id: "usr_ada" },
      details: { reason: "policy" },
    });
  });
});
