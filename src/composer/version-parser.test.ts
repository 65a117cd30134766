import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import {
  DEFAULT_BRANCH_ALIAS,
  normalizeBranch,
  normalizeBranchAlias,
  normalizeDefaultBranch,
  normalizeStability,
  normalizeVersion,
  parseNumericAliasPrefix,
  parseStability,
  prettyBranchVersion,
  resolveBranchAlias,
  tryNormalizeVersion,
} from "./version-parser.ts";

/** Expectations from composer/semver's VersionParserTest::successfulNormalizedVersions. */
const NORMALIZED: [string, string][] = [
  ["1.0.0", "1.0.0.0"],
  ["1.2.3.4", "1.2.3.4"],
  ["1.0.0RC1dev", "1.0.0.0-RC1-dev"],
  ["1.0.0-rC15-dev", "1.0.0.0-RC15-dev"],
  ["1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"],
  ["1.0.0-rc1", "1.0.0.0-RC1"],
  ["1.0.0.pl3-dev", "1.0.0.0-patch3-dev"],
  ["1.0-dev", "1.0.0.0-dev"],
  ["0", "0.0.0.0"],
  ["10.4.13-beta", "10.4.13.0-beta"],
  ["10.4.13beta2", "10.4.13.0-beta2"],
  ["10.4.13beta.2", "10.4.13.0-beta2"],
  ["v1.13.11-beta.0", "1.13.11.0-beta0"],
  ["1.0.0-beta.1", "1.0.0.0-beta1"],
  ["10.4.13-b5", "10.4.13.0-beta5"],
  ["v1.0.0", "1.0.0.0"],
  ["V1.2.3", "1.2.3.0"],
  ["2010.01", "2010.01.0.0"],
  ["2010.01.02", "2010.01.02.0"],
  ["v20100102", "20100102"],
  ["2010-01-01", "2010.01.01"],
  ["2010-01-02.5", "2010.01.02.5"],
  ["20100102-203040", "20100102.203040"],
  ["20100102-203040-p1", "20100102.203040-patch1"],
  ["201903.0-p2", "201903.0-patch2"],
  ["dev-master", "dev-master"],
  ["master", "dev-master"],
  ["trunk", "dev-trunk"],
  ["1.x-dev", "1.9999999.9999999.9999999-dev"],
  ["DEV-FOOBAR", "dev-FOOBAR"],
  ["dev-feature/foo", "dev-feature/foo"],
  ["dev-master as 1.0.0", "dev-master"],
  ["1.0.0+foo@dev", "1.0.0.0"],
  ["1.0.0-beta.5+foo", "1.0.0.0-beta5"],
  ["1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"],
  ["1.0.0+foo as 2.0", "1.0.0.0"],
  ["00.01.03.04", "00.01.03.04"],
  ["0700", "0700.0.0.0"],
  // Six digits are too many for a major version but read as a date (yyyymm).
  ["123456", "123456"],
  ["041.x-dev", "041.9999999.9999999.9999999-dev"],
  ["dev-foo bar", "dev-foo bar"],
  [" 1.0.0", "1.0.0.0"],
  ["1.0.0 ", "1.0.0.0"],
];

/** composer/semver's failingNormalizedVersions, plus a few more. */
const INVALID = ["", "a", "1.0.0-meh", "1.0.0.0.0", "feature-foo", "1.0.0+foo bar", "1.0.1-SNAPSHOT"].concat([
  "1.0.0<1.0.5-dev",
  "1.0.0-dev<1.0.5-dev",
  "foobar-dev",
  "^1",
  "~1",
  "1.*",
]);

describe("normalizeVersion", () => {
  it.each(NORMALIZED)("normalizes %j to %j", (input, expected) => {
    expect(normalizeVersion(input)).toBe(expected);
    expect(tryNormalizeVersion(input)).toBe(expected);
  });

  it.each(INVALID)("rejects %j with Composer's message", (input) => {
    expect(() => normalizeVersion(input)).toThrow(`Invalid version string "${input.trim()}"`);
    expect(tryNormalizeVersion(input)).toBeNull();
  });

  it("throws an invalid-input DomainError coded InvalidVersion", () => {
    const error = captureError(() => normalizeVersion("x"));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      kind: "invalid",
      code: "InvalidVersion",
      message: 'Invalid version string "x"',
    });
  });

  it("explains invalid aliases the way Composer does", () => {
    expect(() => normalizeVersion("foo", "1.0 as foo")).toThrow(
      'Invalid version string "foo" in "1.0 as foo", the alias must be an exact version',
    );
    expect(() => normalizeVersion("feature", "feature as 1.0")).toThrow(
      'Invalid version string "feature" in "feature as 1.0", the alias source must be an exact version, ' +
        "if it is a branch name you should prefix it with dev-",
    );
  });

  it("keeps Composer's quirks", () => {
    // "stable" is compared case-sensitively: the uppercase form is kept as a suffix.
    expect(normalizeVersion("1.0.0-STABLE")).toBe("1.0.0.0-stable");
    // An explicit "stable" wins over a later dev marker.
    expect(normalizeVersion("1.0.0-stable-dev")).toBe("1.0.0.0");
    // PCRE's "$" matches before a final newline, so an inner "\n" before the flag is tolerated.
    expect(normalizeVersion("1.0.0\n@dev")).toBe("1.0.0.0");
    // Unicode spaces are not trimmed, and NUL is.
    expect(tryNormalizeVersion("1.0\u00a0")).toBeNull();
    expect(normalizeVersion("\u00001.0\u0000")).toBe("1.0.0.0");
  });
});

describe("hostile inputs", () => {
  const HOSTILE = [
    "",
    "\u0000",
    "😀",
    "1.0-βeta",
    "１.０",
    "a".repeat(10_000),
    `1.0-beta${"1".repeat(10_000)}x`,
    `1.0-beta${".1".repeat(5_000)}x`,
    `${"a".repeat(10_000)}dev`,
    `${"+".repeat(5_000)}\nx`,
    `${"#a".repeat(5_000)}\nx`,
    `1${" ".repeat(5_000)}as${" ".repeat(5_000)}2`,
    `${"1.".repeat(5_000)}x-dev`,
    "\n".repeat(10_000),
  ];

  it.each(HOSTILE.map((input) => [input.slice(0, 30), input]))(
    "%j... stays fast and never throws oddly",
    (_, input) => {
      const started = performance.now();
      const normalized = tryNormalizeVersion(input);
      expect(normalized === null || typeof normalized === "string").toBe(true);
      normalizeBranch(input);
      parseStability(input);
      parseNumericAliasPrefix(input);
      expect(performance.now() - started).toBeLessThan(250);
    },
  );

  it("reports invalid versions as DomainErrors, whatever the input", () => {
    for (const input of HOSTILE) {
      const error = captureError(() => normalizeVersion(input));
      if (error !== undefined) expect(error).toBeInstanceOf(DomainError);
    }
  });
});

describe("normalizeBranch", () => {
  it.each([
    ["v1.x", "1.9999999.9999999.9999999-dev"],
    ["v1.*", "1.9999999.9999999.9999999-dev"],
    ["v1.0", "1.0.9999999.9999999-dev"],
    ["2.0", "2.0.9999999.9999999-dev"],
    ["v1.0.x", "1.0.9999999.9999999-dev"],
    ["v1.0.3.*", "1.0.3.9999999-dev"],
    ["v2.4.0", "2.4.0.9999999-dev"],
    ["2.4.4", "2.4.4.9999999-dev"],
    ["1.X", "1.9999999.9999999.9999999-dev"],
    ["master", "dev-master"],
    ["main", "dev-main"],
    ["trunk", "dev-trunk"],
    ["feature-a", "dev-feature-a"],
    ["FOOBAR", "dev-FOOBAR"],
    ["feature+issue-1", "dev-feature+issue-1"],
    ["1.2.3.4.5", "dev-1.2.3.4.5"],
    [" 1.x ", "1.9999999.9999999.9999999-dev"],
  ])("normalizes %j to %j", (input, expected) => {
    expect(normalizeBranch(input)).toBe(expected);
  });
});

describe("normalizeDefaultBranch", () => {
  it("maps dev-master, dev-default and dev-trunk to 9999999-dev", () => {
    expect(["dev-master", "dev-default", "dev-trunk"].map(normalizeDefaultBranch)).toEqual([
      DEFAULT_BRANCH_ALIAS,
      DEFAULT_BRANCH_ALIAS,
      DEFAULT_BRANCH_ALIAS,
    ]);
    expect(normalizeDefaultBranch("dev-main")).toBe("dev-main");
  });
});

describe("parseNumericAliasPrefix", () => {
  it.each([
    ["2.1.x-dev", "2.1."],
    ["1.x-dev", "1."],
    ["1.0.x-dev", "1.0."],
    ["2-dev", "2."],
    ["1.2.3-DEV", "1.2.3."],
    ["dev-main", null],
    ["1.x", null],
    ["v1.x-dev", null],
  ])("%j -> %j", (input, expected) => {
    expect(parseNumericAliasPrefix(input)).toBe(expected);
  });
});

describe("parseStability", () => {
  it.each([
    ["1", "stable"],
    ["1.0", "stable"],
    ["3.2.1", "stable"],
    ["v3.2.1", "stable"],
    ["v2.0.x-dev", "dev"],
    ["v2.0.x-dev#abc123", "dev"],
    ["v2.0.x-dev#trunk/@123", "dev"],
    ["3.0-RC2", "RC"],
    ["dev-master", "dev"],
    ["3.1.2-dev", "dev"],
    ["dev-feature+issue-1", "dev"],
    ["3.1.2-p1", "stable"],
    ["3.1.2-pl2", "stable"],
    ["3.1.2-patch", "stable"],
    ["3.1.2-alpha5", "alpha"],
    ["3.1.2-beta", "beta"],
    ["2.0B1", "beta"],
    ["1.2.0a1", "alpha"],
    ["1.2_a1", "alpha"],
    ["2.0.0rc1", "RC"],
    ["1.0.0-alpha11+cs-1.1.0", "alpha"],
    ["1.0.0-alpha-11+cs-1.1.0", "alpha"],
    ["1.0.0-alpha.11+cs-1.1.0", "alpha"],
  ])("%j is %j", (input, expected) => {
    expect(parseStability(input)).toBe(expected);
  });

  it("normalizeStability lowercases and spells RC in capitals", () => {
    expect(["STABLE", "rc", "Beta"].map(normalizeStability)).toEqual(["stable", "RC", "beta"]);
  });
});

describe("branch aliases", () => {
  it.each([
    ["1.x-dev", "1.9999999.9999999.9999999-dev"],
    ["1.0.x-dev", "1.0.9999999.9999999-dev"],
    ["2.1-dev", "2.1.9999999.9999999-dev"],
    ["9999999-dev", "9999999-dev"],
    // Only "ends in -dev" is checked, so a non-numeric target can pass.
    ["feature-dev-dev", "dev-feature-dev"],
    ["1.x", null],
    ["dev-master", null],
    ["foo-dev", null],
    ["-dev", null],
  ])("normalizeBranchAlias(%j) is %j", (target, expected) => {
    expect(normalizeBranchAlias(target)).toBe(expected);
  });

  it("resolveBranchAlias follows ArrayLoader::getBranchAlias", () => {
    const aliases: [string, string][] = [["dev-main", "2.x-dev"]];
    expect(resolveBranchAlias({ version: "dev-main", branchAliases: aliases })).toBe(
      "2.9999999.9999999.9999999-dev",
    );
    // The source matches case-insensitively; the version's own "dev-" check does not.
    expect(resolveBranchAlias({ version: "dev-main", branchAliases: [["DEV-Main", "2.x-dev"]] })).toBe(
      "2.9999999.9999999.9999999-dev",
    );
    expect(resolveBranchAlias({ version: "DEV-MAIN", branchAliases: aliases })).toBeNull();
    expect(resolveBranchAlias({ version: "dev-other", branchAliases: aliases })).toBeNull();
    expect(resolveBranchAlias({ version: "1.0.0", branchAliases: [["1.0.0", "1.x-dev"]] })).toBeNull();
    // Numeric aliases must extend the numeric source.
    expect(resolveBranchAlias({ version: "2.x-dev", branchAliases: [["2.x-dev", "2.1.x-dev"]] })).toBe(
      "2.1.9999999.9999999-dev",
    );
    expect(resolveBranchAlias({ version: "2.x-dev", branchAliases: [["2.x-dev", "3.0.x-dev"]] })).toBeNull();
    // A non-numeric default branch gets 9999999-dev.
    expect(resolveBranchAlias({ version: "dev-main", defaultBranch: true })).toBe(DEFAULT_BRANCH_ALIAS);
    expect(resolveBranchAlias({ version: "2.x-dev", defaultBranch: true })).toBeNull();
  });

  it("prettyBranchVersion prints 9999999 parts as x, like Composer (quirks included)", () => {
    expect(prettyBranchVersion("1.9999999.9999999.9999999-dev")).toBe("1.x-dev");
    expect(prettyBranchVersion("1.0.9999999.9999999-dev")).toBe("1.0.x-dev");
    expect(prettyBranchVersion("1.99999999.9999999.9999999-dev")).toBe("1.x9.x-dev");
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
}
