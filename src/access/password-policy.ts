import { dictionary } from "@zxcvbn-ts/language-common";
import { invalidInput } from "../errors/domain-error.ts";

/**
 * What a new password must be, after NIST SP 800-63B: long enough, not absurdly long, not one of
 * the passwords attackers try first, and not made of the account's own name or e-mail address.
 * No composition rules (digits, symbols) and no expiry: they make passwords worse, not better.
 *
 * Lengths count Unicode code points of the NFC form (what `hashPassword` hashes), so "é" is one
 * character however it was typed, and an emoji is one character, not two UTF-16 units.
 */

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;
/** Name and e-mail parts shorter than this are too common to refuse in a password. */
const CONTEXT_MIN_LENGTH = 4;

export type PasswordProblemCode =
  "too-short" | "too-long" | "malformed" | "common" | "contains-email" | "contains-name";

/** One reason a password is refused. Never contains the password. */
export interface PasswordProblem {
  readonly code: PasswordProblemCode;
  readonly message: string;
}

export interface PasswordContext {
  readonly email?: string;
  readonly name?: string;
}

const LONE_SURROGATE = /\p{Cs}/u;
const WORD_SEPARATORS = /[^\p{L}\p{N}]+/u;

/**
 * The common-password list: `passwords-common` from `@zxcvbn-ts/language-common` (MIT), the
 * 49,233 most frequent passwords of leaked password sets as compiled by the zxcvbn project, all
 * lower-case. Built into a Set on first use; the package itself is only data.
 */
let commonPasswords: ReadonlySet<string> | undefined;

function isCommonPassword(lowerCased: string): boolean {
  commonPasswords ??= new Set(dictionary["passwords-common"].map((entry) => entry.normalize("NFC")));
  return commonPasswords.has(lowerCased);
}

/** Every reason the password is not acceptable; an empty list means it is. */
export function checkPassword(password: string, context: PasswordContext = {}): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  if (LONE_SURROGATE.test(password)) {
    problems.push({ code: "malformed", message: "The password contains invalid Unicode text." });
  }
  const normalised = password.normalize("NFC");
  const length = codePointLength(normalised);
  if (length < PASSWORD_MIN_LENGTH) {
    problems.push({
      code: "too-short",
      message: `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
    });
  }
  if (length > PASSWORD_MAX_LENGTH) {
    problems.push({
      code: "too-long",
      message: `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`,
    });
    // Nothing more to learn from an absurd string; spare the comparisons.
    return problems;
  }
  const lowerCased = normalised.toLowerCase();
  if (isCommonPassword(lowerCased)) {
    problems.push({ code: "common", message: "The password is one of the most commonly used passwords." });
  }
  if (context.email !== undefined && containsAny(lowerCased, contextWords(localPart(context.email)))) {
    problems.push({ code: "contains-email", message: "The password must not contain the e-mail address." });
  }
  if (context.name !== undefined && containsAny(lowerCased, contextWords(context.name))) {
    problems.push({ code: "contains-name", message: "The password must not contain the name." });
  }
  return problems;
}

/** Throws `WeakPassword` (with the `problems` list) unless the password is acceptable. */
export function assertAcceptablePassword(password: string, context: PasswordContext = {}): void {
  const problems = checkPassword(password, context);
  if (problems.length === 0) return;
  const message = `The password is not acceptable: ${problems.map((problem) => problem.message).join(" ")}`;
  throw invalidInput("WeakPassword", message, { problems });
}

/** Code points, stopping early once past the maximum (the string can be megabytes long). */
function codePointLength(text: string): number {
  if (text.length > 2 * PASSWORD_MAX_LENGTH) return text.length; // at least MAX + 1 code points
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      count--; // a surrogate pair is one code point
      i++;
    }
  }
  return count;
}

function localPart(email: string): string {
  const at = email.lastIndexOf("@");
  return at === -1 ? email : email.slice(0, at);
}

/**
 * The words of a name or e-mail local part that a password must not contain, lower-cased NFC:
 * the whole value, the value without separators, and each part ("ada.lovelace+pb" gives
 * "ada.lovelace+pb", "adalovelacepb", "lovelace"), each only when it has at least 4 characters.
 */
function contextWords(value: string): string[] {
  const whole = value.normalize("NFC").toLowerCase().trim();
  const parts = whole.split(WORD_SEPARATORS);
  const words = new Set([whole, parts.join(""), ...parts]);
  return [...words].filter((word) => codePointLength(word) >= CONTEXT_MIN_LENGTH);
}

function containsAny(password: string, words: readonly string[]): boolean {
  return words.some((word) => password.includes(word));
}
