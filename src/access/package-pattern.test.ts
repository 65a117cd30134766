import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import { MAX_PATTERNS, compilePackagePatterns, parsePackagePatterns } from "./package-pattern.ts";

/** The obvious dynamic-programming glob matcher, as the reference. */
function referenceMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  let row = Array.from({ length: n.length + 1 }, (_, j) => j === 0);
  for (const c of p) {
    const next = Array.from({ length: n.length + 1 }, () => false);
    if (c === "*") {
      next[0] = row[0]!;
      for (let j = 1; j <= n.length; j++) next[j] = row[j]! || next[j - 1]!;
    } else {
      for (let j = 1; j <= n.length; j++) next[j] = row[j - 1]! && n[j - 1] === c;
    }
    row = next;
  }
  return row[n.length]!;
}

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("compilePackagePatterns", () => {
  it("lets an empty list see every package", () => {
    const matches = compilePackagePatterns([]);
    expect(matches("acme/anything")).toBe(true);
    expect(matches("")).toBe(true);
  });

  it.each([
    ["acme/pkg", "acme/pkg", true],
    ["acme/pkg", "acme/pkg2", false],
    ["acme/pkg", "xacme/pkg", false],
    ["acme/*", "acme/pkg", true],
    ["acme/*", "acme/", true],
    ["acme/*", "acme-tools/pkg", false],
    ["acme/*", "other/acme", false],
    ["acme/a*", "acme/api", true],
    ["acme/a*", "acme/b-api", false],
    ["*/*", "acme/pkg", true],
    ["*", "acme/pkg", true],
    ["acme*", "acme/pkg", true],
    ["acme*", "acme-tools/pkg", true],
    ["*-bundle", "acme/mail-bundle", true],
    ["*-bundle", "acme/mail-bundle-extra", false],
    ["acme/*-sdk", "acme/php-sdk", true],
    ["acme/*-sdk", "acme/sub/php-sdk", true],
    ["a.b/c", "a.b/c", true],
    ["a.b/c", "axb/c", false],
    ["acme/pkg", "ACME/Pkg", true],
    ["acme/pkg", "acme/pkg\n", false],
    ["acme/*", "acme/line\nbreak", true],
    ["acme/k*", "acme/\u212Aelvin", false],
    ["acme/s*", "acme/\u017Fecret", false],
  ])("%s against %j: %s", (pattern, name, expected) => {
    expect(compilePackagePatterns([pattern])(name)).toBe(expected);
  });

  it("matches when any pattern matches", () => {
    const matches = compilePackagePatterns(["acme/*", "vendor/exact", "*-bundle"]);
    expect(matches("acme/x")).toBe(true);
    expect(matches("vendor/exact")).toBe(true);
    expect(matches("other/mail-bundle")).toBe(true);
    expect(matches("vendor/exact2")).toBe(false);
    expect(matches("other/x")).toBe(false);
  });

  it("agrees with a reference glob matcher", () => {
    const alphabet = fc.constantFrom("a", "b", "/", "*", ".");
    const nameAlphabet = fc.constantFrom("a", "b", "/", ".", "A", "x");
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: alphabet, minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 3 }),
        fc.string({ unit: nameAlphabet, maxLength: 14 }),
        (raw, name) => {
          const patterns = raw.map((p) => (p.includes("/") || p.includes("*") ? p : `${p}*`));
          const expected = patterns.some((p) => referenceMatch(p, name));
          expect(compilePackagePatterns(patterns)(name)).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("does not backtrack catastrophically", () => {
    const hostile = "a*".repeat(120) + "b";
    const patterns = Array.from({ length: MAX_PATTERNS }, (_, i) => `${hostile.slice(0, 240)}${i % 10}`);
    const matches = compilePackagePatterns(patterns);
    const name = "a".repeat(5000);
    const started = performance.now();
    expect(matches(name)).toBe(false);
    expect(compilePackagePatterns([hostile])("a".repeat(20_000))).toBe(false);
    expect(compilePackagePatterns(["*a*a*a*a*a*a*a*a*a*a*b*"])("a".repeat(20_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("refuses invalid patterns even when they come from storage", () => {
    expect(catchError(() => compilePackagePatterns(["acme/(x)"]))).toMatchObject({
      code: "InvalidPackagePattern",
    });
  });
});

describe("parsePackagePatterns", () => {
  it("normalises: trims, lower-cases, collapses stars, drops duplicates", () => {
    expect(parsePackagePatterns([" Acme/* ", "acme/*", "acme/**", "x/**y***"])).toEqual(["acme/*", "x/*y*"]);
    expect(parsePackagePatterns([])).toEqual([]);
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["regex syntax", "acme/(a|b)"],
    ["question mark", "acme/pkg?"],
    ["backslash", "acme\\pkg"],
    ["space inside", "acme/ pkg"],
    ["non-ASCII", "acmé/pkg"],
    ["newline inside", "acme/\npkg"],
    ["too long", `acme/${"a".repeat(251)}`],
    ["cannot match (no vendor)", "acme"],
  ])("refuses %s", (_label, pattern) => {
    const error = catchError(() => parsePackagePatterns([pattern]));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: "invalid", code: "InvalidPackagePattern" });
    expect((error as DomainError).message.length).toBeLessThan(300);
  });

  it("accepts 255 characters and 100 patterns, not more", () => {
    expect(parsePackagePatterns([`acme/${"a".repeat(250)}`])).toHaveLength(1);
    const hundred = Array.from({ length: 100 }, (_, i) => `acme/p${i}`);
    expect(parsePackagePatterns(hundred)).toHaveLength(100);
    expect(catchError(() => parsePackagePatterns([...hundred, "acme/p100"]))).toMatchObject({
      code: "InvalidPackagePattern",
    });
  });
});
