/**
 * The small pieces of PHP and PCRE behaviour that Composer's version handling relies on, so the
 * ports in this folder can stay line-by-line faithful:
 *
 * - PHP strings are bytes and Composer's patterns carry no `u` flag. Every literal in those patterns
 *   is ASCII, so matching UTF-16 code units gives the same answers as matching UTF-8 bytes, provided
 *   the classes below are used instead of JavaScript's Unicode-aware `\s`, `.` and `$`.
 * - `trim()` and (since PHP 8.2) `strtolower()` only touch ASCII.
 * - JavaScript has no possessive quantifiers; the patterns spell `\d++` as `\d+(?!\d)`, which
 *   accepts exactly the same (maximal) run and fails fast instead of backtracking.
 */

/** PCRE's `\s` without UTF/UCP mode: space, \t, \n, \v, \f, \r (never U+00A0 or other Unicode spaces). */
export const PCRE_SPACE = String.raw`\t\n\v\f\r `;

/** PCRE's `$` without the D modifier: at the very end, or just before a final "\n". */
export const PCRE_END = String.raw`(?=\n?$)`;

/** `VersionParser::$stabilitiesRegex`. */
export const STABILITIES = "stable|RC|beta|alpha|dev";

/**
 * `VersionParser::$modifierRegex` (three groups: stability word, its numbers, dev marker). The
 * possessive `((?:[.-]?\d+)*+)?` becomes a greedy loop of maximal digit runs that must end where
 * no further `[.-]?\d` could follow, which is what the possessive loop settles on.
 */
export const MODIFIER = String.raw`[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+(?!\d))*(?![.-]?\d))?)?([.-]?dev)?`;

/** PHP's default trim() characters: " \t\n\r\0\x0B" (no \f, no Unicode spaces). */
const PHP_TRIM_CHARACTERS = " \t\n\r\0\v";

/** PHP `trim($value)` with the default character list. */
export function phpTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && PHP_TRIM_CHARACTERS.includes(value.charAt(start))) start++;
  while (end > start && PHP_TRIM_CHARACTERS.includes(value.charAt(end - 1))) end--;
  return value.slice(start, end);
}

/** PHP 8.2+ `strtolower()`: ASCII letters only, so the length never changes. */
export function asciiLower(value: string): string {
  return value.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** True when `value` starts with `prefix`, comparing ASCII letters case-insensitively (`stripos(...) === 0`). */
export function startsWithAsciiIgnoreCase(value: string, prefix: string): boolean {
  return asciiLower(value.slice(0, prefix.length)) === asciiLower(prefix);
}

/** `preg_quote()` for a JavaScript pattern: the value matches itself literally. */
export function quoteRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** True for the characters PCRE's `\s` matches (see PCRE_SPACE). */
export function isPcreSpace(character: string): boolean {
  return character.length === 1 && PCRE_SPACE_CHARACTERS.includes(character);
}

const PCRE_SPACE_CHARACTERS = "\t\n\v\f\r ";

/**
 * The part of `value` a `.*`-like PCRE tail anchored with `$` can reach: `lineStart` is where the
 * last line begins (after the last "\n" that is not the final character) and `bodyEnd` is where `$`
 * can match first (before a final "\n", if there is one).
 */
export function lastLine(value: string): { lineStart: number; bodyEnd: number } {
  const bodyEnd = value.endsWith("\n") ? value.length - 1 : value.length;
  const lineStart = bodyEnd === 0 ? 0 : value.lastIndexOf("\n", bodyEnd - 1) + 1;
  return { lineStart, bodyEnd };
}
