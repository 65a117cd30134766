/**
 * A faithful port of composer/semver's `VersionParser` (normalize, normalizeBranch,
 * parseStability, parseNumericAliasPrefix, ...). Import it through version-parser.ts. Every
 * function names the PHP it ports; version-parser.differential.test.ts checks them against the PHP
 * library. See php-compat.ts for how PHP/PCRE semantics (bytes, `\s`, `$`, possessive
 * quantifiers) are reproduced.
 */
import { invalidInput } from "../errors/domain-error.ts";
import {
  MODIFIER,
  PCRE_END,
  PCRE_SPACE,
  STABILITIES,
  asciiLower,
  lastLine,
  phpTrim,
  quoteRegExp,
  startsWithAsciiIgnoreCase,
} from "./php-compat.ts";

export type Stability = "stable" | "RC" | "beta" | "alpha" | "dev";

/** `Composer\Package\Version\VersionParser::DEFAULT_BRANCH_ALIAS`. */
export const DEFAULT_BRANCH_ALIAS = "9999999-dev";

const ALIAS = new RegExp(String.raw`^([^,${PCRE_SPACE}]+) +as +([^,${PCRE_SPACE}]+)${PCRE_END}`);
const STABILITY_FLAG = new RegExp(`@(?:${STABILITIES})${PCRE_END}`, "i");
const BUILD_METADATA = new RegExp(String.raw`^([^,${PCRE_SPACE}+]+)\+[^${PCRE_SPACE}]+${PCRE_END}`);
const CLASSICAL = new RegExp(
  String.raw`^v?(\d{1,5})(\.\d+(?!\d))?(\.\d+(?!\d))?(\.\d+(?!\d))?${MODIFIER}${PCRE_END}`,
  "i",
);
const DATE = new RegExp(
  String.raw`^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)${MODIFIER}${PCRE_END}`,
  "i",
);
const NUMERIC_BRANCH = new RegExp(
  String.raw`^v?(\d+(?!\d))(\.(?:\d+(?!\d)|[xX*]))?(\.(?:\d+(?!\d)|[xX*]))?(\.(?:\d+(?!\d)|[xX*]))?${PCRE_END}`,
  "i",
);
const NUMERIC_ALIAS = new RegExp(String.raw`^((?:\d+(?!\d)\.)*\d+(?!\d))(?:\.x)?-dev${PCRE_END}`, "i");
const STABILITY_SUFFIX = new RegExp(String.raw`${MODIFIER}(?:\+[^\n]*)?${PCRE_END}`, "i");
const ALIAS_OF = `(?:@(?:${STABILITIES}))?`;

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value !== "";

/**
 * `VersionParser::normalize()`: `1.2` -> `1.2.0.0`, `v1.0.0-beta.1` -> `1.0.0.0-beta1`,
 * `master` -> `dev-master`, `1.x-dev` -> `1.9999999.9999999.9999999-dev`. Throws a DomainError
 * (code `InvalidVersion`) with Composer's message when Composer would throw.
 */
export function normalizeVersion(version: string, fullVersion?: string): string {
  const original = phpTrim(version);
  const result = normalizeTrimmed(original);
  if ("normalized" in result) return result.normalized;
  throw invalidInput(
    "InvalidVersion",
    invalidVersionMessage(original, result.rejected, fullVersion ?? original),
  );
}

/** normalizeVersion(), or null where Composer would throw. */
export function tryNormalizeVersion(version: string): string | null {
  const result = normalizeTrimmed(phpTrim(version));
  return "normalized" in result ? result.normalized : null;
}

/** The body of normalize() after trim(); `rejected` is the string the error message quotes. */
function normalizeTrimmed(original: string): { normalized: string } | { rejected: string } {
  let version = original;
  const alias = ALIAS.exec(version);
  if (alias) version = alias[1] ?? version;
  const flag = STABILITY_FLAG.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);
  if (version === "master" || version === "trunk" || version === "default") version = `dev-${version}`;
  if (startsWithAsciiIgnoreCase(version, "dev-")) return { normalized: `dev-${version.slice(4)}` };
  const build = BUILD_METADATA.exec(version);
  if (build) version = build[1] ?? version;

  const classical = CLASSICAL.exec(version);
  if (classical) {
    const [, major = "", minor, patch, build4] = classical;
    const base = major + (nonEmpty(minor) ? minor : ".0") + (nonEmpty(patch) ? patch : ".0");
    return { normalized: withModifiers(base + (nonEmpty(build4) ? build4 : ".0"), classical.slice(5)) };
  }
  const date = DATE.exec(version);
  if (date) return { normalized: withModifiers((date[1] ?? "").replace(/\D/g, "."), date.slice(2)) };

  const branch = devSuffixPrefix(version);
  if (branch !== null) {
    // A branch ending in -dev is only valid when numeric; dev-prefixed names must say so themselves.
    const normalized = normalizeBranch(branch);
    if (!normalized.includes("dev-")) return { normalized };
  }
  return { rejected: version };
}

/** Appends the modifier groups (stability word, its numbers, dev marker) the way normalize() does. */
function withModifiers(version: string, [stability, numbers, dev]: (string | undefined)[]): string {
  let result = version;
  if (nonEmpty(stability)) {
    if (stability === "stable") return result;
    result += `-${expandStability(stability)}${nonEmpty(numbers) ? numbers.replace(/^[.-]+/, "") : ""}`;
  }
  if (nonEmpty(dev)) result += "-dev";
  return result;
}

/** `VersionParser::expandStability()`. */
function expandStability(stability: string): string {
  const lower = asciiLower(stability);
  switch (lower) {
    case "a":
      return "alpha";
    case "b":
      return "beta";
    case "p":
    case "pl":
      return "patch";
    case "rc":
      return "RC";
    default:
      return lower;
  }
}

/**
 * `preg_match('{(.*?)[.-]?dev$}i', $version, $match)` returning `$match[1]`, without the quadratic
 * scan: `.` stops at "\n", so the match sits on the last line and ends with "dev".
 */
function devSuffixPrefix(version: string): string | null {
  const { lineStart, bodyEnd } = lastLine(version);
  const devAt = bodyEnd - 3;
  if (devAt < lineStart || asciiLower(version.slice(devAt, bodyEnd)) !== "dev") return null;
  const separator = version.charAt(devAt - 1);
  const end = devAt > lineStart && (separator === "." || separator === "-") ? devAt - 1 : devAt;
  return version.slice(lineStart, end);
}

/** The message of the UnexpectedValueException normalize() throws, including its alias hints. */
function invalidVersionMessage(original: string, rejected: string, fullVersion: string): string {
  const quoted = quoteRegExp(rejected);
  let extra = "";
  // `(?<! )` only skips start positions inside a run of spaces, where a match would also exist.
  if (new RegExp(`(?<! ) +as +${quoted}${ALIAS_OF}${PCRE_END}`).test(fullVersion)) {
    extra = ` in "${fullVersion}", the alias must be an exact version`;
  } else if (new RegExp(`^${quoted}${ALIAS_OF} +as +`).test(fullVersion)) {
    extra = ` in "${fullVersion}", the alias source must be an exact version, if it is a branch name you should prefix it with dev-`;
  }
  return `Invalid version string "${original}"${extra}`;
}

/**
 * `VersionParser::normalizeBranch()`: numeric branches become `-dev` versions padded with
 * 9999999 (`1.x` -> `1.9999999.9999999.9999999-dev`, `v2.4.0` -> `2.4.0.9999999-dev`);
 * anything else becomes `dev-<name>`.
 */
export function normalizeBranch(name: string): string {
  const trimmed = phpTrim(name);
  const match = NUMERIC_BRANCH.exec(trimmed);
  if (!match) return `dev-${trimmed}`;
  let version = "";
  for (let i = 1; i < 5; i++) {
    const part = match[i];
    version += part === undefined ? ".x" : part.replace(/[*X]/g, "x");
  }
  return `${version.replaceAll("x", "9999999")}-dev`;
}

/** `VersionParser::normalizeDefaultBranch()` (deprecated upstream): dev-master/default/trunk -> 9999999-dev. */
export function normalizeDefaultBranch(name: string): string {
  return name === "dev-master" || name === "dev-default" || name === "dev-trunk"
    ? DEFAULT_BRANCH_ALIAS
    : name;
}

/** `VersionParser::parseNumericAliasPrefix()`: `2.1.x-dev` -> `2.1.`, `dev-main` -> null. */
export function parseNumericAliasPrefix(branch: string): string | null {
  const match = NUMERIC_ALIAS.exec(branch);
  return match ? `${match[1] ?? ""}.` : null;
}

/** `VersionParser::parseStability()`: the stability a (pretty or normalized) version implies. */
export function parseStability(version: string): Stability {
  const stripped = stripReference(version);
  if (stripped.startsWith("dev-") || stripped.endsWith("-dev")) return "dev";
  const lower = asciiLower(stripped);
  // Every match of the pattern lies on the last line; searching only there keeps this linear.
  const { lineStart } = lastLine(lower);
  const match = STABILITY_SUFFIX.exec(lower.slice(lineStart));
  if (nonEmpty(match?.[3])) return "dev";
  const word = match?.[1];
  if (word === "beta" || word === "b") return "beta";
  if (word === "alpha" || word === "a") return "alpha";
  if (word === "rc") return "RC";
  return "stable";
}

/** `preg_replace('{#.+$}', '', $version)`: drops a `#reference` suffix from the last line. */
function stripReference(version: string): string {
  const { lineStart, bodyEnd } = lastLine(version);
  const hash = version.indexOf("#", lineStart);
  if (hash === -1 || hash >= bodyEnd - 1) return version;
  return version.slice(0, hash) + version.slice(bodyEnd);
}

/** `VersionParser::normalizeStability()`. */
export function normalizeStability(stability: string): string {
  const lower = asciiLower(stability);
  return lower === "rc" ? "RC" : lower;
}

/** `preg_replace('{(\.9{7})+}', '.x', $normalized)`: how Composer prints numeric branch versions. */
export function prettyBranchVersion(normalized: string): string {
  return normalized.replace(/(\.9{7})+/g, ".x");
}
