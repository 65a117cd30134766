import { invalidInput } from "../errors/domain-error.ts";

/**
 * Package patterns restrict a token to some packages: `acme/pkg` (exact), `acme/*`, `acme/a*`,
 * `*` (everything). Matching is case-insensitive (ASCII only).
 *
 * `*` matches any run of characters, `/` included, as in Private Packagist: `acme*` matches
 * `acme/pkg` and `acme-tools/pkg`, and `*-bundle` matches every package whose name ends in
 * `-bundle`, whatever its vendor. Write `acme/*` to mean "the packages of vendor acme".
 *
 * An empty list means every package.
 */

export const MAX_PATTERN_LENGTH = 255;
export const MAX_PATTERNS = 100;

const PATTERN_CHARACTERS = /^[a-z0-9_.*/-]+$/;

/**
 * Validates and normalises patterns given by a client: trimmed, lower-cased, runs of `*` collapsed,
 * duplicates dropped (first occurrence kept). Invalid → `invalidInput("InvalidPackagePattern")`.
 */
export function parsePackagePatterns(input: readonly string[]): string[] {
  if (input.length > MAX_PATTERNS) {
    throw invalidInput(
      "InvalidPackagePattern",
      `a token may have at most ${MAX_PATTERNS} package patterns, got ${input.length}`,
    );
  }
  const patterns: string[] = [];
  for (const raw of input) {
    const pattern = normalise(raw);
    if (!patterns.includes(pattern)) patterns.push(pattern);
  }
  return patterns;
}

/**
 * A predicate telling whether a package name matches one of the patterns (every name when the
 * list is empty). The patterns are validated again, so stored patterns cannot smuggle regular
 * expression syntax in.
 *
 * All patterns compile into one RegExp. A naive translation of `*` into `.*` backtracks
 * polynomially in the number of stars (`a*a*a*a*b` against `aaaa…`), so each `*` followed by a
 * literal is compiled as an atomic "skip to the first occurrence of the literal"
 * (`(?=([^]*?literal))\1`: a lookahead never backtracks, and the backreference consumes what it
 * found). Leftmost placement of the middle literals is always right for globs, so the only
 * backtracking left is the final `[^]*literal$`: matching is O(name × pattern) per pattern.
 */
export function compilePackagePatterns(patterns: readonly string[]): (packageName: string) => boolean {
  const valid = parsePackagePatterns(patterns);
  if (valid.length === 0) return () => true;
  let group = 0;
  const alternatives = valid.map((pattern) => {
    const [first = "", ...rest] = pattern.split("*");
    let source = escape(first);
    rest.forEach((literal, index) => {
      if (index === rest.length - 1) {
        source += `[^]*${escape(literal)}`;
      } else {
        group += 1;
        source += `(?=([^]*?${escape(literal)}))\\${group}`;
      }
    });
    return source;
  });
  // No `u` flag on purpose: with it, `i` would fold `ſ` to `s` and the Kelvin sign to `k`.
  const regexp = new RegExp(`^(?:${alternatives.join("|")})$`, "i");
  return (packageName) => regexp.test(packageName);
}

function normalise(raw: string): string {
  if (typeof raw !== "string") {
    throw invalidInput("InvalidPackagePattern", "a package pattern must be a string");
  }
  const pattern = raw
    .trim()
    .toLowerCase()
    .replace(/\*{2,}/g, "*");
  const shown = JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
  if (pattern === "") {
    throw invalidInput("InvalidPackagePattern", "a package pattern may not be empty", {
      pattern: raw.slice(0, MAX_PATTERN_LENGTH),
    });
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw invalidInput(
      "InvalidPackagePattern",
      `package pattern ${shown} is longer than ${MAX_PATTERN_LENGTH} characters`,
      { pattern: raw.slice(0, MAX_PATTERN_LENGTH) },
    );
  }
  if (!PATTERN_CHARACTERS.test(pattern)) {
    throw invalidInput(
      "InvalidPackagePattern",
      `package pattern ${shown} may only contain a-z, 0-9, "_", ".", "-", "/" and "*"`,
      { pattern: raw.slice(0, MAX_PATTERN_LENGTH) },
    );
  }
  if (!pattern.includes("/") && !pattern.includes("*")) {
    throw invalidInput(
      "InvalidPackagePattern",
      `package pattern ${shown} can never match a package name (vendor/name); did you mean "${pattern}/*"?`,
      { pattern: raw.slice(0, MAX_PATTERN_LENGTH) },
    );
  }
  return pattern;
}

/** Of the allowed characters, only `.` means something in a RegExp. */
function escape(literal: string): string {
  return literal.replaceAll(".", "\\.");
}
