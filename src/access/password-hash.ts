import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { invalidInput } from "../errors/domain-error.ts";

/**
 * Password hashes: scrypt (RFC 7914) from `node:crypto`, stored as a self-describing string in
 * the PHC style:
 *
 *     $scrypt$ln=15,r=8,p=1$<salt>$<hash>
 *
 * `ln` is log2(N); salt (16 random bytes) and hash (32 bytes) are standard base64 without
 * padding. Because the parameters travel with the hash, they can be raised later: old hashes
 * still verify, and `passwordHashNeedsRehash` tells the login path to store a new one.
 *
 * Parameters: N = 2^15, r = 8, p = 1 (32 MiB of memory per hash). On the 2-core development
 * machine one hash takes about 70 ms (2^16 took about 150 ms, 2^17 about 300 ms), the middle of
 * the 50–150 ms budget for an interactive login, and the same as Go's x/crypto recommendation.
 *
 * Passwords are normalised to Unicode NFC before hashing: the same visible password can arrive
 * as different code point sequences ("é" as U+00E9 or as "e" + U+0301) depending on the
 * operating system, keyboard or browser that typed it, and hashing the raw bytes would lock the
 * user out when they switch device. Strings with lone surrogates cannot be encoded as UTF-8
 * faithfully (they would all become U+FFFD and collide), so they are refused.
 */

export interface PasswordHashParameters {
  /** log2 of the scrypt cost N. */
  readonly ln: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
}

/** What new hashes use. */
export const PASSWORD_HASH_PARAMETERS: PasswordHashParameters = Object.freeze({ ln: 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Bounds on what a stored hash may ask for. A hash string is data (a database row, an import
 * file); an attacker who can plant one must not be able to make the server spend seconds or
 * gigabytes on a login. They allow four times today's work, room to raise the parameters later.
 */
const MAX_LN = 17;
const MAX_R = 16;
const MAX_P = 4;
/** N * r * p, the work: 2^20 is ln=17, r=8, p=1 (about 300 ms here). */
const MAX_WORK = 2 ** 20;
/** Memory scrypt needs, 128 * r * (N + p + 2) bytes (what OpenSSL checks against maxmem). */
const MAX_MEMORY_BYTES = 128 * 2 ** 20 + 64 * 1024;
/** Longest encoded hash accepted: longer strings are refused before any parsing. */
const MAX_ENCODED_LENGTH = 256;
const MIN_SALT_BYTES = 8;
const MAX_SALT_BYTES = 64;
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 64;

/**
 * Longest password (UTF-16 code units, before normalisation) that is hashed or verified. Far
 * above the policy's 1,024 code points (even in a decomposed form), it only keeps absurd input
 * from being normalised and hashed.
 */
export const MAX_PASSWORD_INPUT_LENGTH = 16_384;

const ENCODED_SHAPE =
  /^\$scrypt\$ln=(0|[1-9][0-9]?),r=(0|[1-9][0-9]?),p=(0|[1-9][0-9]?)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const LONE_SURROGATE = /\p{Cs}/u;

export interface ParsedPasswordHash {
  readonly parameters: PasswordHashParameters;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export interface HashPasswordOptions {
  /**
   * Other parameters than `PASSWORD_HASH_PARAMETERS`; tests use cheap ones. They must lie within
   * the same bounds that verification accepts.
   */
  readonly parameters?: PasswordHashParameters;
}

/**
 * Hash a new password. Throws `InvalidPassword` for a string that cannot be hashed faithfully
 * (lone surrogates) or is absurdly long; whether the password is good enough is the policy's
 * business (`checkPassword`), not this function's.
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  const parameters = options.parameters ?? PASSWORD_HASH_PARAMETERS;
  if (!withinBounds(parameters)) throw new RangeError("scrypt parameters out of bounds");
  const bytes = passwordBytes(password);
  if (bytes === null) {
    throw invalidInput("InvalidPassword", "The password is too long or is not valid Unicode text.");
  }
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(bytes, salt, KEY_BYTES, parameters);
  return encode(parameters, salt, hash);
}

/**
 * Whether the password matches the encoded hash. Never throws: a malformed, unknown or
 * out-of-bounds hash (and a password that could never have been hashed) is simply `false`.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  try {
    const parsed = parsePasswordHash(encoded);
    const bytes = passwordBytes(password);
    if (parsed === null || bytes === null) return false;
    const derived = await deriveKey(bytes, parsed.salt, parsed.hash.length, parsed.parameters);
    return timingSafeEqual(derived, parsed.hash);
  } catch {
    return false;
  }
}

/**
 * Spend the time of a `verifyPassword` with the current parameters and answer `false`. The login
 * path calls it when no account matches, so that the response time does not tell whether an
 * account exists.
 */
export async function dummyPasswordVerify(password: string): Promise<false> {
  try {
    const bytes = passwordBytes(password) ?? Buffer.alloc(0);
    const derived = await deriveKey(bytes, randomBytes(SALT_BYTES), KEY_BYTES, PASSWORD_HASH_PARAMETERS);
    timingSafeEqual(derived, Buffer.alloc(KEY_BYTES));
  } catch {
    // Nothing to report: the answer is false either way.
  }
  return false;
}

/**
 * Whether a hash that just verified should be replaced by a new one: its parameters, salt or key
 * length are below what new hashes get (or it cannot be parsed at all).
 */
export function passwordHashNeedsRehash(encoded: string): boolean {
  const parsed = parsePasswordHash(encoded);
  if (parsed === null) return true;
  const current = PASSWORD_HASH_PARAMETERS;
  const { ln, r, p } = parsed.parameters;
  return (
    ln < current.ln ||
    r < current.r ||
    p < current.p ||
    parsed.salt.length < SALT_BYTES ||
    parsed.hash.length !== KEY_BYTES
  );
}

/**
 * The parts of an encoded hash, or `null` when it is not one we produce or its parameters are out
 * of bounds. Strict: canonical base64 only, no leading zeros, nothing around it.
 */
export function parsePasswordHash(encoded: string): ParsedPasswordHash | null {
  const value: unknown = encoded;
  if (typeof value !== "string" || value.length > MAX_ENCODED_LENGTH) return null;
  const match = ENCODED_SHAPE.exec(value);
  if (match === null) return null;
  const [, ln, r, p, salt, hash] = match;
  const parameters = { ln: Number(ln), r: Number(r), p: Number(p) };
  if (!withinBounds(parameters)) return null;
  const saltBytes = decodeBase64(salt ?? "");
  const hashBytes = decodeBase64(hash ?? "");
  if (saltBytes === null || saltBytes.length < MIN_SALT_BYTES || saltBytes.length > MAX_SALT_BYTES) {
    return null;
  }
  if (hashBytes === null || hashBytes.length < MIN_KEY_BYTES || hashBytes.length > MAX_KEY_BYTES) return null;
  return { parameters, salt: saltBytes, hash: hashBytes };
}

function withinBounds({ ln, r, p }: PasswordHashParameters): boolean {
  if (![ln, r, p].every(Number.isSafeInteger)) return false;
  if (ln < 1 || ln > MAX_LN || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return false;
  const n = 2 ** ln;
  return n * r * p <= MAX_WORK && memoryBytes(n, r, p) <= MAX_MEMORY_BYTES;
}

function memoryBytes(n: number, r: number, p: number): number {
  return 128 * r * (n + p + 2);
}

/** The NFC form as UTF-8, or `null` for what cannot be hashed faithfully. */
function passwordBytes(password: string): Buffer | null {
  const value: unknown = password;
  if (typeof value !== "string" || value.length > MAX_PASSWORD_INPUT_LENGTH) return null;
  if (LONE_SURROGATE.test(value)) return null;
  return Buffer.from(value.normalize("NFC"), "utf8");
}

function deriveKey(
  password: Buffer,
  salt: Buffer,
  keyLength: number,
  { ln, r, p }: PasswordHashParameters,
): Promise<Buffer> {
  const n = 2 ** ln;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N: n, r, p, maxmem: memoryBytes(n, r, p) }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

function encode({ ln, r, p }: PasswordHashParameters, salt: Buffer, hash: Buffer): string {
  return `$scrypt$ln=${ln},r=${r},p=${p}$${encodeBase64(salt)}$${encodeBase64(hash)}`;
}

function encodeBase64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "");
}

/** Standard base64 without padding; `null` unless the text is the canonical encoding. */
function decodeBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, "base64");
  return encodeBase64(bytes) === text ? bytes : null;
}
