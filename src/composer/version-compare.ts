/**
 * Ordering of versions the way Composer orders them: PHP's `version_compare()` (ported from
 * php-src ext/standard/versioning.c, on UTF-8 bytes like PHP) and, on top of it, an ordering of
 * normalized versions in which `dev-*` branches come below every numeric version.
 */

const DOT = 0x2e;
const HASH = 0x23;
/** "#N#": what a numeric part is compared as when the other side is a word. */
const NUMBER_FORM = [HASH, 0x4e, HASH];
/** strtol() saturates here on overflow. */
const LONG_MAX = 9_223_372_036_854_775_807n;

const encoder = new TextEncoder();

/** version_compare()'s special words, in order; a part counts as the first one it starts with. */
const SPECIAL_FORMS: readonly (readonly [Uint8Array, number])[] = (
  [
    ["dev", 0],
    ["alpha", 1],
    ["a", 1],
    ["beta", 2],
    ["b", 2],
    ["RC", 3],
    ["rc", 3],
    ["#", 4],
    ["pl", 5],
    ["p", 5],
  ] as const
).map(([name, order]) => [encoder.encode(name), order]);

const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x30 && byte <= 0x39;
const isAlnum = (byte: number): boolean =>
  isDigit(byte) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
const isSpecialSeparator = (byte: number): boolean => byte === 0x2d || byte === 0x5f || byte === 0x2b;
const sign = (value: number | bigint): -1 | 0 | 1 => (value > 0 ? 1 : value < 0 ? -1 : 0);

/**
 * PHP's `version_compare($a, $b)`: -1, 0 or 1. Like PHP it reads C strings, so it stops at a NUL
 * byte, and it sees UTF-8 bytes, not characters.
 */
export function phpVersionCompare(a: string, b: string): -1 | 0 | 1 {
  return compareCStrings(cString(a), cString(b));
}

/**
 * Ascending order of normalized versions (`1.0.0.0` < `1.0.0.1-dev`... as PHP's version_compare
 * says), with every `dev-*` branch version below every other version; two branches compare by
 * their names (byte order), so the order is total and deterministic. For newest first, sort with
 * compareNewestFirst or `(a, b) => compareNormalizedVersions(b, a)`.
 *
 * Composer itself never orders two branches (`Constraint::versionCompare` says `dev-a` and `dev-b`
 * are unordered), and version_compare already puts `dev-x` below anything starting with a digit,
 * so on Composer's normalized versions this agrees with `Comparator::lessThan`.
 */
export function compareNormalizedVersions(a: string, b: string): number {
  const aIsBranch = a.startsWith("dev-");
  const bIsBranch = b.startsWith("dev-");
  if (aIsBranch && bIsBranch) return a < b ? -1 : a > b ? 1 : 0;
  if (aIsBranch) return -1;
  if (bIsBranch) return 1;
  return phpVersionCompare(a, b);
}

/** Newest first: `versions.sort(compareNewestFirst)`. */
export function compareNewestFirst(a: string, b: string): number {
  return compareNormalizedVersions(b, a);
}

function cString(value: string): number[] {
  const bytes = Array.from(encoder.encode(value));
  const nul = bytes.indexOf(0);
  return nul === -1 ? bytes : bytes.slice(0, nul);
}

/** php_version_compare(). */
function compareCStrings(version1: readonly number[], version2: readonly number[]): -1 | 0 | 1 {
  if (version1.length === 0 || version2.length === 0) {
    return version1.length === version2.length ? 0 : version1.length > 0 ? 1 : -1;
  }
  const v1 = version1[0] === HASH ? version1 : canonicalize(version1);
  const v2 = version2[0] === HASH ? version2 : canonicalize(version2);
  let p1 = 0;
  let p2 = 0;
  let n1: number | null = 0;
  let n2: number | null = 0;
  let compare: -1 | 0 | 1 = 0;
  while (p1 < v1.length && p2 < v2.length && n1 !== null && n2 !== null) {
    const dot1 = v1.indexOf(DOT, p1);
    const dot2 = v2.indexOf(DOT, p2);
    n1 = dot1 === -1 ? null : dot1;
    n2 = dot2 === -1 ? null : dot2;
    compare = compareParts(v1.slice(p1, n1 ?? v1.length), v2.slice(p2, n2 ?? v2.length));
    if (compare !== 0) break;
    if (n1 !== null) p1 = n1 + 1;
    if (n2 !== null) p2 = n2 + 1;
  }
  if (compare !== 0) return compare;
  if (n1 !== null) return isDigit(v1[p1]) ? 1 : compareCStrings(v1.slice(p1), NUMBER_FORM);
  if (n2 !== null) return isDigit(v2[p2]) ? -1 : compareCStrings(NUMBER_FORM, v2.slice(p2));
  return 0;
}

function compareParts(part1: readonly number[], part2: readonly number[]): -1 | 0 | 1 {
  const digit1 = isDigit(part1[0]);
  const digit2 = isDigit(part2[0]);
  if (digit1 && digit2) return sign(strtol(part1) - strtol(part2));
  if (!digit1 && !digit2) return compareSpecialForms(part1, part2);
  return digit1 ? compareSpecialForms(NUMBER_FORM, part2) : compareSpecialForms(part1, NUMBER_FORM);
}

function strtol(part: readonly number[]): bigint {
  let end = 0;
  while (isDigit(part[end])) end++;
  const value = BigInt(
    part
      .slice(0, end)
      .map((byte) => String.fromCharCode(byte))
      .join(""),
  );
  return value > LONG_MAX ? LONG_MAX : value;
}

function compareSpecialForms(form1: readonly number[], form2: readonly number[]): -1 | 0 | 1 {
  return sign(specialFormOrder(form1) - specialFormOrder(form2));
}

function specialFormOrder(form: readonly number[]): number {
  for (const [name, order] of SPECIAL_FORMS) {
    if (name.length <= form.length && name.every((byte, i) => byte === form[i])) return order;
  }
  return -1;
}

/**
 * php_canonicalize_version(): "-", "_" and "+" become ".", a "." goes between digits and
 * non-digits, other non-alphanumerics become ".", and dots never repeat. The first byte is kept.
 */
function canonicalize(version: readonly number[]): number[] {
  const isDig = (byte: number): boolean => isDigit(byte);
  const isNonDig = (byte: number): boolean => !isDigit(byte) && byte !== DOT;
  const out: number[] = [];
  let previous = version[0] ?? 0;
  out.push(previous);
  const dot = (): void => {
    if (out[out.length - 1] !== DOT) out.push(DOT);
  };
  for (const byte of version.slice(1)) {
    if (isSpecialSeparator(byte)) {
      dot();
    } else if ((isNonDig(previous) && isDig(byte)) || (isDig(previous) && isNonDig(byte))) {
      dot();
      out.push(byte);
    } else if (!isAlnum(byte)) {
      dot();
    } else {
      out.push(byte);
    }
    previous = byte;
  }
  return out;
}
