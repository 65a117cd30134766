import { dictionary } from "@zxcvbn-ts/language-common";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  assertAcceptablePassword,
  checkPassword,
  type PasswordProblemCode,
} from "./password-policy.ts";

const codes = (password: string, context?: { email?: string; name?: string }): PasswordProblemCode[] =>
  checkPassword(password, context).map((problem) => problem.code);

const GOOD = "tangerine submarine orbit";

describe("checkPassword", () => {
  it("accepts a long, uncommon password", () => {
    expect(checkPassword(GOOD)).toEqual([]);
    expect(checkPassword(GOOD, { email: "ada@example.com", name: "Ada Lovelace" })).toEqual([]);
  });

  describe("length, in code points of the NFC form", () => {
    it("needs at least 12 characters", () => {
      expect(PASSWORD_MIN_LENGTH).toBe(12);
      expect(codes("zq8#vLm2!pRx")).toEqual([]);
      expect(codes("zq8#vLm2!pR")).toEqual(["too-short"]);
      expect(codes("")).toEqual(["too-short"]);
    });

    it("counts an astral character (two UTF-16 units) as one", () => {
      const elevenEmoji = "🐙🦑🐚🦀🦞🐠🐡🦈🐬🐳🐋";
      expect(elevenEmoji).toHaveLength(22);
      expect(codes(elevenEmoji)).toEqual(["too-short"]);
      expect(codes(`${elevenEmoji}🦭`)).toEqual([]);
    });

    it("counts a decomposed accent as part of its letter", () => {
      const decomposed = "e\u0301".repeat(11) + "x"; // 23 code points, 12 after NFC
      expect(codes(decomposed)).toEqual([]);
      expect(codes("e\u0301".repeat(11))).toEqual(["too-short"]);
    });

    it("allows at most 1024 characters", () => {
      expect(PASSWORD_MAX_LENGTH).toBe(1024);
      const random = (n: number): string => Array.from({ length: n }, (_, i) => "qzjxkv"[i % 6]).join("");
      expect(codes(random(1024))).toEqual([]);
      expect(codes(random(1025))).toEqual(["too-long"]);
      expect(codes("🦑".repeat(1024))).toEqual([]);
      expect(codes("🦑".repeat(1025))).toEqual(["too-long"]);
    });

    it("refuses a 1 MB password quickly and only as too long", () => {
      expect(codes("a".repeat(1024 * 1024), { email: "a@b.c", name: "aaaa" })).toEqual(["too-long"]);
    });
  });

  describe("common passwords", () => {
    it.each(["password1234", "qwerty123456", "1q2w3e4r5t6y", "administrator", "123456789987654321"])(
      "refuses %s",
      (password) => {
        expect(codes(password)).toContain("common");
      },
    );

    it("compares case-insensitively", () => {
      expect(codes("AdMiNiStRaToR")).toEqual(["common"]);
      expect(codes("LEAVEMEALONE")).toEqual(["common"]);
    });

    it("reports short common passwords as both", () => {
      expect(codes("password")).toEqual(["too-short", "common"]);
    });

    it("uses the zxcvbn list, tens of thousands of entries", () => {
      expect(dictionary["passwords-common"].length).toBeGreaterThan(40_000);
      expect(dictionary["passwords-common"]).toContain("qwerty123456");
    });

    it("does not refuse a common password with something added", () => {
      expect(codes("administrator-at-the-docks")).toEqual([]);
    });
  });

  describe("the account's own name and e-mail address", () => {
    const context = { email: "Ada.Lovelace+pb@example.com", name: "Augusta Ada King" };

    it.each([
      ["equal to the local part", "ada.lovelace+pb", "contains-email"],
      ["containing the local part", "my-Ada.Lovelace+pb-pass", "contains-email"],
      ["containing a part of it", "i am lovelace forever", "contains-email"],
      ["containing it without separators", "xxadalovelacepbxx", "contains-email"],
      ["containing the name", "augusta ada king 1815", "contains-name"],
      ["containing a name part, in other case", "AUGUSTA-the-first!", "contains-name"],
      ["containing the name without spaces", "augustaadaking!!", "contains-name"],
    ])("refuses a password %s", (_label, password, code) => {
      expect(codes(password, context)).toEqual([code]);
    });

    it("ignores parts shorter than 4 characters", () => {
      expect(codes("ada ada ada ada", { email: "ada@example.com", name: "Ada" })).toEqual([]);
      expect(codes("kingfisher valley", { name: "Ada King" })).toEqual(["contains-name"]);
      expect(codes("xo xo xo xo xo", { email: "xo@example.com", name: "Xo Yu" })).toEqual([]);
    });

    it("compares the name in NFC, case-insensitively", () => {
      expect(codes("JOSÉ-and-the-sea", { name: "Jose\u0301 Martí" })).toEqual(["contains-name"]);
    });

    it("does not look at the e-mail domain", () => {
      expect(codes("example.com is my home", { email: "ada@example.com" })).toEqual([]);
    });

    it("handles an address without @ and empty values", () => {
      expect(codes("bob-the-builder-x", { email: "builder" })).toEqual(["contains-email"]);
      expect(codes(GOOD, { email: "", name: "" })).toEqual([]);
      expect(codes(GOOD, { email: "@", name: "   " })).toEqual([]);
    });

    it("reports every problem at once", () => {
      expect(codes("lovelace", context)).toEqual(["too-short", "common", "contains-email"]);
    });
  });

  describe("hostile input", () => {
    it("refuses lone surrogates as malformed", () => {
      expect(codes(`${GOOD}\ud800`)).toEqual(["malformed"]);
      expect(codes(`\udfff${GOOD}`)).toEqual(["malformed"]);
    });

    it("allows NUL and control characters (they are hashed faithfully)", () => {
      expect(codes(`${GOOD}\u0000\u0007`)).toEqual([]);
    });

    it("never includes the password in a message", () => {
      const secret = "Lovelace";
      for (const problem of checkPassword(secret, { email: "lovelace@example.com", name: "Lovelace" })) {
        expect(problem.message.toLowerCase()).not.toContain("lovelace");
      }
    });
  });
});

describe("assertAcceptablePassword", () => {
  it("returns for an acceptable password", () => {
    expect(() => {
      assertAcceptablePassword(GOOD, { email: "ada@example.com" });
    }).not.toThrow();
  });

  it("throws WeakPassword with the problems", () => {
    let error: unknown;
    try {
      assertAcceptablePassword("password", { name: "Pass Word" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(domainError.kind).toBe("invalid");
    expect(domainError.code).toBe("WeakPassword");
    expect(domainError.message).toMatch(/at least 12 characters/);
    expect(domainError.extensions.problems).toEqual(checkPassword("password", { name: "Pass Word" }));
    expect((domainError.extensions.problems as { code: string }[]).map((problem) => problem.code)).toEqual([
      "too-short",
      "common",
      "contains-name",
    ]);
  });
});

describe("properties", () => {
  it("never throws, and agrees with the length rules for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 1100 }), (password) => {
        const found = codes(password);
        const length = Array.from(password.normalize("NFC")).length;
        expect(found.includes("too-short")).toBe(length < 12);
        expect(found.includes("too-long")).toBe(length > 1024);
        expect(found).not.toContain("malformed");
      }),
    );
  });

  it("the verdict does not depend on letter case", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 12, maxLength: 40 }), (password) => {
        expect(codes(password.toUpperCase())).toEqual(codes(password.toLowerCase()));
      }),
    );
  });
});
