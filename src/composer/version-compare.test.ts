import { describe, expect, it } from "vitest";
import { compareNewestFirst, compareNormalizedVersions, phpVersionCompare } from "./version-compare.ts";

describe("phpVersionCompare (PHP's version_compare)", () => {
  it.each([
    ["5.2", "5.10", -1],
    ["1.0.0", "1.0", 1],
    ["1.0", "1.0.0", -1],
    ["1.0.0.0", "1.0.0.0", 0],
    ["1.0.0.0-dev", "1.0.0.0-alpha1", -1],
    ["1.0.0.0-alpha1", "1.0.0.0-beta1", -1],
    ["1.0.0.0-beta1", "1.0.0.0-RC1", -1],
    ["1.0.0.0-RC1", "1.0.0.0", -1],
    ["1.0.0.0", "1.0.0.0-patch1", -1],
    ["1.0.0.0-beta2", "1.0.0.0-beta10", -1],
    ["1.0rc1", "1.0RC1", 0],
    ["1.0a", "1.0alpha", 0],
    ["dev-foo", "1.0", -1],
    ["", "1", -1],
    ["", "", 0],
    // strtol() saturates at 2^63-1, so larger numbers compare equal.
    ["99999999999999999999", "99999999999999999998", 0],
    // C strings: everything from a NUL byte on is ignored.
    ["1\u00002", "1", 0],
  ])("version_compare(%j, %j) is %i", (a, b, expected) => {
    expect(phpVersionCompare(a, b)).toBe(expected);
  });
});

describe("compareNormalizedVersions", () => {
  it("sorts newest first with compareNewestFirst, dev branches last", () => {
    const versions = [
      "dev-main",
      "1.0.0.0",
      "2.0.0.0-beta1",
      "1.9999999.9999999.9999999-dev",
      "dev-feature",
      "2.0.0.0",
      "1.0.0.0-RC1",
      "10.0.0.0",
      "2.0.0.0-dev",
    ];
    expect([...versions].sort(compareNewestFirst)).toEqual([
      "10.0.0.0",
      "2.0.0.0",
      "2.0.0.0-beta1",
      "2.0.0.0-dev",
      "1.9999999.9999999.9999999-dev",
      "1.0.0.0",
      "1.0.0.0-RC1",
      "dev-main",
      "dev-feature",
    ]);
  });

  it("is ascending, antisymmetric and total on branches", () => {
    expect(compareNormalizedVersions("1.0.0.0", "2.0.0.0")).toBeLessThan(0);
    expect(compareNormalizedVersions("dev-a", "0.0.0.0-dev")).toBeLessThan(0);
    expect(compareNormalizedVersions("dev-b", "dev-a")).toBeGreaterThan(0);
    expect(compareNormalizedVersions("dev-a", "dev-a")).toBe(0);
    expect(compareNewestFirst("1.0.0.0", "2.0.0.0")).toBeGreaterThan(0);
  });

  it("stays fast on long inputs", () => {
    const long = `${"1.".repeat(5_000)}1`;
    const started = performance.now();
    expect(phpVersionCompare(long, `${long}.1`)).toBe(-1);
    expect(phpVersionCompare("9".repeat(10_000), "9".repeat(10_000))).toBe(0);
    expect(performance.now() - started).toBeLessThan(250);
  });
});
