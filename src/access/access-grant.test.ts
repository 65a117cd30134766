import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import { createAccessGrant, packagePatternsKey, requirePackage, requireScope } from "./access-grant.ts";

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
      requireScope(grant, "write");
    }).not.toThrow();
    const error = caught(() => {
      requireScope(grant, "admin");
    });
    expect(error).toMatchObject({ kind: "forbidden", code: "InsufficientScope" });
    expect(error.message).toBe('this token lacks the "admin" scope');
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

  it("keys equal pattern sets equally, whatever their order", () => {
    expect(grant.patternsKey).toBe(packagePatternsKey(["other/pkg", "acme/*"]));
    expect(packagePatternsKey([])).toBe("");
    expect(packagePatternsKey(["a/*"])).not.toBe(packagePatternsKey(["a/*", "b/*"]));
  });
});
