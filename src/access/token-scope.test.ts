import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import { grants, isTokenScope, parseTokenScopes, tokenScopes, type TokenScope } from "./token-scope.ts";

describe("grants", () => {
  const table: [TokenScope[], TokenScope, boolean][] = [
    [["read"], "read", true],
    [["read"], "write", false],
    [["read"], "admin", false],
    [["write"], "read", true],
    [["write"], "write", true],
    [["write"], "admin", false],
    [["admin"], "read", true],
    [["admin"], "write", true],
    [["admin"], "admin", true],
    [["read", "write"], "admin", false],
    [[], "read", false],
  ];
  it.each(table)("%j grants %s: %s", (held, needed, expected) => {
    expect(grants(held, needed)).toBe(expected);
  });
});

describe("parseTokenScopes", () => {
  it("dedupes and orders the scopes", () => {
    expect(parseTokenScopes(["admin", "read", "admin"])).toEqual(["read", "admin"]);
    expect(tokenScopes).toEqual(["read", "write", "admin"]);
  });

  it.each([[[]], [["owner"]], [["READ"]], [[1]], [[null]], [["read", "x".repeat(10_000)]]])(
    "refuses %j",
    (input) => {
      const error = (() => {
        try {
          parseTokenScopes(input);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: "invalid", code: "InvalidScope" });
      expect((error as DomainError).message.length).toBeLessThan(200);
    },
  );

  it("isTokenScope does not accept inherited property names", () => {
    expect(isTokenScope("toString")).toBe(false);
    expect(isTokenScope("__proto__")).toBe(false);
    expect(isTokenScope("write")).toBe(true);
  });
});
