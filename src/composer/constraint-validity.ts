/**
 * Whether composer/semver's `VersionParser::parseConstraints()` accepts a string or throws. Composer
 * uses exactly that to reject branch names (VcsRepository::validateBranch), so this ports the
 * control flow of parseConstraints/parseConstraint far enough to know whether it throws, without
 * building constraint objects. Checked against PHP in version-parser.differential.test.ts.
 */
import { MODIFIER, PCRE_END, PCRE_SPACE, STABILITIES, isPcreSpace, lastLine, phpTrim } from "./php-compat.ts";
import { tryNormalizeVersion } from "./version-normalizer.ts";

const S = PCRE_SPACE;
/** parseConstraint()'s $versionRegex: groups 1-4 numbers, 5-7 the modifier, 8 an `.x-dev` suffix. */
const VERSION = String.raw`v?(\d+(?!\d))(?:\.(\d+(?!\d)))?(?:\.(\d+(?!\d)))?(?:\.(\d+(?!\d)))?(?:${MODIFIER}|\.([xX*][.-]?dev))(?:\+[^${S}]+)?`;

const AND_SPLIT = new RegExp(String.raw`(?<!^|as|[=>< ,]) *(?<!-)[, ](?!-) *(?!,|as|\n?$)`);
const ALIAS = new RegExp(String.raw`^([^,${S}]+) +as +([^,${S}]+)${PCRE_END}`);
const STABILITY_FLAG = new RegExp(String.raw`^([^,${S}]*?)@(${STABILITIES})${PCRE_END}`, "i");
const REFERENCE = new RegExp(String.raw`^(dev-[^,${S}@]+?|[^,${S}@]+?\.x-dev)#[^\n]+${PCRE_END}`, "i");
const WILDCARD = new RegExp(String.raw`^(v)?[xX*](\.[xX*])*${PCRE_END}`, "i");
const TILDE = new RegExp(String.raw`^~>?${VERSION}${PCRE_END}`, "i");
const CARET = new RegExp(String.raw`^\^${VERSION}${PCRE_END}`, "i");
const X_RANGE = new RegExp(
  String.raw`^v?(\d+(?!\d))(?:\.(\d+(?!\d)))?(?:\.(\d+(?!\d)))?(?:\.[xX*])+${PCRE_END}`,
);
const HYPHEN = new RegExp(`^(${VERSION}) +- +(${VERSION})${PCRE_END}`, "i");
const BASIC = new RegExp(String.raw`^(<>|!=|>=?|<=?|==?)?[${S}]*([^\n]*)`);
const BRANCH_LIKE = /^[0-9a-zA-Z\-./]+$/;

const nonEmpty = (value: string | undefined): boolean => value !== undefined && value !== "";

/** True when `VersionParser::parseConstraints($constraints)` returns instead of throwing. */
export function isParseableConstraint(constraints: string): boolean {
  return splitOr(phpTrim(constraints)).every((group) =>
    group.split(AND_SPLIT).every((constraint) => constraintParses(constraint)),
  );
}

/** `preg_split('{\s*\|\|?\s*}', $constraints)`, scanning instead of backtracking over long space runs. */
function splitOr(constraints: string): string[] {
  const groups: string[] = [];
  let pieceStart = 0;
  for (let bar = constraints.indexOf("|"); bar !== -1; bar = constraints.indexOf("|", pieceStart)) {
    let start = bar;
    while (start > pieceStart && isPcreSpace(constraints.charAt(start - 1))) start--;
    let end = constraints.charAt(bar + 1) === "|" ? bar + 2 : bar + 1;
    while (end < constraints.length && isPcreSpace(constraints.charAt(end))) end++;
    groups.push(constraints.slice(pieceStart, start));
    pieceStart = end;
  }
  groups.push(constraints.slice(pieceStart));
  return groups;
}

/** parseConstraint(): false where it throws. */
function constraintParses(input: string): boolean {
  const constraint = stripReference(stripStabilityFlag(ALIAS.exec(input)?.[1] ?? input));
  if (WILDCARD.test(constraint)) return true;
  const tilde = TILDE.exec(constraint);
  if (tilde) return !constraint.startsWith("~>") && boundParses(constraint, tilde);
  const caret = CARET.exec(constraint);
  if (caret) return boundParses(constraint, caret);
  if (X_RANGE.test(constraint)) return true;
  const hyphen = HYPHEN.exec(constraint);
  if (hyphen) return normalizes(hyphen[1]) && normalizes(hyphen[10]);
  const basic = BASIC.exec(constraint);
  const version = basic?.[2] ?? "";
  return normalizes(version) || (version.endsWith("-dev") && BRANCH_LIKE.test(version));
}

/** The tilde and caret branches normalize the constraint minus its operator, `-dev` added when unstable. */
function boundParses(constraint: string, match: RegExpExecArray): boolean {
  const unstable = !nonEmpty(match[5]) && !nonEmpty(match[7]) && !nonEmpty(match[8]);
  return normalizes((constraint + (unstable ? "-dev" : "")).slice(1));
}

function normalizes(version: string | undefined): boolean {
  return version !== undefined && tryNormalizeVersion(version) !== null;
}

/** `^([^,\s]*?)@(stable|RC|beta|alpha|dev)$` strips an `@stability` flag; a bare flag means `*`. */
function stripStabilityFlag(constraint: string): string {
  const match = STABILITY_FLAG.exec(constraint);
  if (!match) return constraint;
  return match[1] !== undefined && match[1] !== "" ? match[1] : "*";
}

/** `^(dev-...|....x-dev)#.+$` drops a `#reference`; `.` stops at "\n", so no line break may precede the end. */
function stripReference(constraint: string): string {
  if (lastLine(constraint).lineStart !== 0) return constraint;
  return REFERENCE.exec(constraint)?.[1] ?? constraint;
}
