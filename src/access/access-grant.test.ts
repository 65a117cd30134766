import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import {
  createAccessGrant,
  packagePatternsKey,
  requirePackage,
  requirePermission,
  sessionGrant,
} from "./access-grant.ts";
import { permissions } from "./permission.ts";

function caught(run: () => void): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

describe("AccessGrant", () => {
  const grant = createAccessGrant({
    tokenId: "01TOKEN",
    fingerprint: "pb_abcd…wxyz",
    scopes: ["write"],
    packagePatterns: ["acme/*", "other/pkg"],
  });

  it("answers scope questions with implication", () => {
    expect(grant.hasScope("read")).toBe(true);
    expect(grant.hasScope("write")).toBe(true);
    expect(grant.hasScope("admin")).toBe(false);
    expect(() => {
      requirePermission(grant, "packages:write");
    }).not.toThrow();
    const error = caught(() => {
      requirePermission(grant, "tokens:manage");
    });
    expect(error).toMatchObject({ kind: "forbidden", code: "InsufficientScope" });
    expect(error.message).toBe('this token lacks the "admin" scope');
  });

  it("gives a session its role's permissions, every package, and names the role when it refuses", () => {
    const viewer = sessionGrant({ id: "usr_1", role: "viewer" });
    expect([...viewer.permissions].sort()).toEqual(["packages:read", "repositories:read"]);
    expect(viewer.canSeePackage("any/thing")).toBe(true);
    expect(viewer.user).toEqual({ id: "usr_1", role: "viewer" });
    const error = caught(() => {
      requirePermission(viewer, "repositories:write");
    });
    expect(error).toMatchObject({
      kind: "forbidden",
      code: "InsufficientRole",
      message: "the viewer role does not allow repositories:write",
      extensions: { required_permission: "repositories:write" },
    });
    expect([...sessionGrant({ id: "usr_2", role: "auditor" }).permissions]).toEqual(["audit:read"]);
  });

  it("answers package questions with the patterns", () => {
    expect(grant.canSeePackage("acme/x")).toBe(true);
    expect(grant.canSeePackage("other/pkg")).toBe(true);
    expect(grant.canSeePackage("other/pkg2")).toBe(false);
    expect(() => {
      requirePackage(grant, "acme/x");
    }).not.toThrow();
    const error = caught(() => {
      requirePackage(grant, "evil/x");
    });
    expect(error).toMatchObject({ kind: "forbidden", code: "PackageNotAllowed" });
    expect(error.message).toBe("this token may not access evil/x");
  });

  it("is frozen and does not share the caller's scopes array", () => {
    const scopes: ("read" | "admin")[] = ["read"];
    const own = createAccessGrant({ tokenId: "t", fingerprint: "f", scopes, packagePatterns: [] });
    scopes.push("admin");
    expect(own.hasScope("admin")).toBe(false);
    expect(Object.isFrozen(own)).toBe(true);
    expect(own.canSeePackage("anything/at-all")).toBe(true);
  });

  it("tells a token from a session", () => {
    expect(grant).toMatchObject({ via: "token", tokenId: "01TOKEN", user: null });
    expect(sessionGrant({ id: "usr_1", role: "admin" })).toMatchObject({
      via: "session",
      tokenId: "session:usr_1",
      user: { id: "usr_1", role: "admin" },
    });
  });

  it("narrows a personal token to its owner's role, and says which of the two refuses", () => {
    const personal = (
      role: "admin" | "maintainer" | "auditor" | "viewer",
      scopes: ("read" | "write" | "admin")[],
    ) =>
      createAccessGrant({
        tokenId: "01OWNED",
        fingerprint: "pb_abcd…wxyz",
        scopes,
        packagePatterns: [],
        owner: { id: "usr_9", role },
      });
    const viewer = personal("viewer", ["admin"]);
    expect([...viewer.permissions].sort()).toEqual(["packages:read", "repositories:read"]);
    expect(viewer).toMatchObject({ via: "token", tokenId: "01OWNED", user: { id: "usr_9", role: "viewer" } });
    expect(viewer.scopes).toEqual(["admin"]);
    expect([viewer.hasScope("read"), viewer.hasScope("write"), viewer.hasScope("admin")]).toEqual([
      true,
      false,
      false,
    ]);
    expect(
      caught(() => {
        requirePermission(viewer, "tokens:manage");
      }),
    ).toMatchObject({
      kind: "forbidden",
      code: "InsufficientRole",
      message: "this token's owner has the viewer role, which does not allow tokens:manage",
      extensions: { required_permission: "tokens:manage" },
    });
    // The role would allow it; the scope does not: the token is told which scope to get.
    expect(
      caught(() => {
        requirePermission(personal("maintainer", ["write"]), "packages:delete");
      }),
    ).toMatchObject({ code: "InsufficientScope", message: 'this token lacks the "admin" scope' });
    expect([...personal("auditor", ["admin"]).permissions]).toEqual(["audit:read"]);
    expect(personal("auditor", ["read", "write"]).permissions.size).toBe(0);
    expect(personal("admin", ["admin"]).permissions.size).toBe(permissions.length);
    expect(Object.isFrozen(viewer.user)).toBe(true);
  });

  it("keys equal pattern sets equally, whatever their order", () => {
    expect(grant.patternsKey).toBe(packagePatternsKey(["other/pkg", "acme/*"]));
    expect(packagePatternsKey([])).toBe("");
    expect(packagePatternsKey(["a/*"])).not.toBe(packagePatternsKey(["a/*", "b/*"]));
  });
});
