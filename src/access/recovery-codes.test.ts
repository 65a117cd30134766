import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from "./recovery-codes.ts";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const DISPLAY_SHAPE = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

describe("newRecoveryCodes", () => {
  it("makes 10 codes of the form xxxx-xxxx-xxxx by default", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(DISPLAY_SHAPE);
    expect(new Set(codes).size).toBe(10);
  });

  it("makes as many as asked", () => {
    expect(newRecoveryCodes(1)).toHaveLength(1);
    expect(newRecoveryCodes(100)).toHaveLength(100);
  });

  it.each([0, -1, 101, 2.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses count %s", (count) => {
    expect(() => newRecoveryCodes(count)).toThrow(RangeError);
  });

  it("has 60 bits per code: 12 characters from 32 symbols, all of them used", () => {
    expect(ALPHABET).toHaveLength(32);
    expect(new Set(ALPHABET).size).toBe(32);
    expect(12 * Math.log2(ALPHABET.length)).toBe(60);
    const seen = new Set(
      Array.from({ length: 50 }, () => newRecoveryCodes(100))
        .flat()
        .join("")
        .replaceAll("-", ""),
    );
    expect([...seen].sort().join("")).toBe(ALPHABET);
  });

  it("never uses the letters people confuse with digits (i, l, o) or u", () => {
    const all = newRecoveryCodes(100).join("");
    expect(all).not.toMatch(/[ilou]/);
  });

  it("every new code normalises to itself without dashes", () => {
    for (const code of newRecoveryCodes()) {
      expect(normaliseRecoveryCode(code)).toBe(code.replaceAll("-", ""));
    }
  });
});

describe("normaliseRecoveryCode", () => {
  it.each([
    ["the display form", "ab12-cd34-ef56", "ab12cd34ef56"],
    ["no dashes", "ab12cd34ef56", "ab12cd34ef56"],
    ["upper case", "AB12-CD34-EF56", "ab12cd34ef56"],
    ["spaces instead of dashes", "ab12 cd34 ef56", "ab12cd34ef56"],
    ["surrounding white space", "  ab12-cd34-ef56\n", "ab12cd34ef56"],
    ["odd grouping", "a-b-1-2-c-d-3-4-e-f-5-6", "ab12cd34ef56"],
    ["O read as zero", "ab1O-cd34-ef56", "ab10cd34ef56"],
    ["I and L read as one", "abIl-cd34-ef56", "ab11cd34ef56"],
  ])("accepts %s", (_label, input, expected) => {
    expect(normaliseRecoveryCode(input)).toBe(expected);
  });

  it.each([
    ["empty", ""],
    ["only separators", "----  ----"],
    ["too short", "ab12-cd34-ef5"],
    ["too long", "ab12-cd34-ef567"],
    ["u, which Crockford leaves out", "ab12-cd34-ef5u"],
    ["punctuation", "ab12.cd34.ef56"],
    ["underscores", "ab12_cd34_ef56"],
    ["a NUL byte", "ab12-cd34-ef56\u0000"],
    ["a NUL byte inside", "ab12-cd\u000034-ef56"],
    ["non-ASCII letters", "äb12-cd34-ef56"],
    ["the Kelvin sign (lower-cases to k elsewhere)", "\u212ab12-cd34-ef56"],
    ["full-width digits", "ab１２-cd34-ef56"],
    ["a lone surrogate", "ab12-cd34-ef5\ud800"],
    ["over 64 characters, even if mostly separators", `${"-".repeat(60)}ab12-cd34-ef56`],
    ["1 MB", "a".repeat(1024 * 1024)],
  ])("refuses %s", (_label, input) => {
    expect(normaliseRecoveryCode(input)).toBeNull();
  });

  const nonStrings: unknown[] = [undefined, null, 123456789012, {}, ["ab12-cd34-ef56"]];
  it.each(nonStrings)("refuses the non-string %o", (input) => {
    expect(normaliseRecoveryCode(input as string)).toBeNull();
  });
});

describe("hashRecoveryCode", () => {
  it("is the SHA-256 hex of the normalised code", () => {
    expect(hashRecoveryCode("ab12-cd34-ef56")).toBe(
      createHash("sha256").update("ab12cd34ef56").digest("hex"),
    );
    expect(hashRecoveryCode("ab12-cd34-ef56")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives the same hash for every way of typing the same code", () => {
    const expected = hashRecoveryCode("ab10-cd34-ef56");
    for (const typed of ["AB10CD34EF56", " ab1o cd34 ef56 ", "ab1O-CD34-eF56"]) {
      expect(hashRecoveryCode(typed)).toBe(expected);
    }
    expect(hashRecoveryCode("ab11-cd34-ef56")).not.toBe(expected);
  });

  it("throws InvalidRecoveryCode for input that is not a code", () => {
    expect(() => hashRecoveryCode("nope")).toThrow(DomainError);
    expect(() => hashRecoveryCode("")).toThrow(expect.objectContaining({ code: "InvalidRecoveryCode" }));
  });
});

describe("properties", () => {
  it("normalising is idempotent and never throws", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (input) => {
        const once = normaliseRecoveryCode(input);
        if (once !== null) {
          expect(once).toMatch(/^[0-9a-hjkmnp-tv-z]{12}$/);
          expect(normaliseRecoveryCode(once)).toBe(once);
        }
      }),
    );
  });

  it("any generated code survives any case change and re-grouping", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.constantFrom("", " ", "-", " - "),
        (upper, separator) => {
          const [code = ""] = newRecoveryCodes(1);
          const bare = code.replaceAll("-", "");
          const typed = Array.from(bare)
            .map((c, i) => (upper[i] ? c.toUpperCase() : c))
            .join(separator);
          expect(normaliseRecoveryCode(typed)).toBe(bare);
          expect(hashRecoveryCode(typed)).toBe(hashRecoveryCode(code));
        },
      ),
    );
  });
});
