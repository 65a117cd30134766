import { createHash, randomBytes } from "node:crypto";
import { invalidInput } from "../errors/domain-error.ts";

/**
 * Recovery codes: the way back in when the authenticator is lost. Each code is 12 characters of
 * Crockford's base32 (`0-9` and `a-z` without `i`, `l`, `o`, `u`), shown in groups of four as
 * `xxxx-xxxx-xxxx`: 12 × 5 = 60 random bits. When read back, case, spaces and dashes do not
 * matter, and the letters people confuse with digits are read as Crockford does (`o` as `0`,
 * `i` and `l` as `1`).
 *
 * Only a SHA-256 of the normalised code is stored, and each code works once. A fast hash is
 * enough here, unlike for passwords: the codes are random with 60 bits of entropy, not chosen by
 * people, so there is no dictionary to try, and guessing one from its hash takes 2^59 SHA-256
 * computations on average, per code. Online guessing is what login rate limits are for.
 */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE_LENGTH = 12;
const GROUP_LENGTH = 4;
/** Longer input is refused without looking at it. */
const MAX_INPUT_LENGTH = 64;
const MAX_COUNT = 100;
const NORMALISED_SHAPE = /^[0-9a-hjkmnp-tv-z]{12}$/;
const IGNORED = /[\s-]+/g;
const READ_AS: Readonly<Record<string, string>> = { o: "0", i: "1", l: "1" };

/** `count` new, distinct codes in the display form `xxxx-xxxx-xxxx`. */
export function newRecoveryCodes(count = 10): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_COUNT}`);
  }
  const codes = new Set<string>();
  while (codes.size < count) codes.add(newRecoveryCode());
  return [...codes];
}

/**
 * The canonical form of a code as typed (12 characters, lower-case, no separators), or `null`
 * when the input cannot be a recovery code.
 */
export function normaliseRecoveryCode(input: string): string | null {
  const value: unknown = input;
  if (typeof value !== "string" || value.length > MAX_INPUT_LENGTH) return null;
  const normalised = value
    .replace(/[A-Z]/g, (letter) => letter.toLowerCase())
    .replace(IGNORED, "")
    .replace(/[oil]/g, (letter) => READ_AS[letter] ?? letter);
  return NORMALISED_SHAPE.test(normalised) ? normalised : null;
}

/**
 * What the database stores for a code: SHA-256 hex of its normalised form. Throws
 * `InvalidRecoveryCode` for input that is not a recovery code; callers that handle user input
 * call `normaliseRecoveryCode` first and treat `null` as a failed attempt.
 */
export function hashRecoveryCode(code: string): string {
  const normalised = normaliseRecoveryCode(code);
  if (normalised === null) throw invalidInput("InvalidRecoveryCode", "This is not a recovery code.");
  return createHash("sha256").update(normalised, "utf8").digest("hex");
}

function newRecoveryCode(): string {
  // 32 symbols: the low five bits of a byte pick one without bias.
  const characters = Array.from(randomBytes(CODE_LENGTH), (byte) => ALPHABET.charAt(byte & 31));
  const groups: string[] = [];
  for (let i = 0; i < CODE_LENGTH; i += GROUP_LENGTH) {
    groups.push(characters.slice(i, i + GROUP_LENGTH).join(""));
  }
  return groups.join("-");
}
