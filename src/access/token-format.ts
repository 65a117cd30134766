import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * API tokens: `pb_` + 32 random base62 characters + a 6-character base62 CRC-32 of those 32
 * characters. The fixed prefix and the checksum are what secret scanners look for (the format
 * GitHub introduced), and the checksum lets the server refuse a mistyped or made-up token
 * without a database lookup. 32 base62 characters carry about 190 bits of randomness.
 */

export const TOKEN_PREFIX = "pb_";
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TOKEN_SHAPE = /^pb_[0-9A-Za-z]{38}$/;
/** The largest multiple of 62 below 256: bytes at or above it are dropped so every character is equally likely. */
const UNBIASED_LIMIT = 248;

/** A new random token. Shown to its owner once; only its hash is stored. */
export function generateToken(): string {
  let random = "";
  while (random.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(RANDOM_LENGTH + 8)) {
      if (byte >= UNBIASED_LIMIT) continue;
      random += BASE62.charAt(byte % 62);
      if (random.length === RANDOM_LENGTH) break;
    }
  }
  return TOKEN_PREFIX + random + checksum(random);
}

/**
 * Whether the candidate looks like one of our tokens: prefix, length, alphabet and checksum.
 * Cheap, so that garbage is refused before any database lookup. Says nothing about whether the
 * token exists.
 */
export function hasValidTokenShape(candidate: string): boolean {
  if (candidate.length !== TOKEN_LENGTH || !TOKEN_SHAPE.test(candidate)) return false;
  const random = candidate.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + RANDOM_LENGTH);
  return candidate.slice(TOKEN_PREFIX.length + RANDOM_LENGTH) === checksum(random);
}

/** What the database stores: SHA-256 hex of the whole token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * What may be shown and logged of a token: `pb_` + the first 4 random characters + `…` + the last
 * 4 characters (which belong to the checksum). For anything that does not have the token shape it
 * returns `pb_????…????`, so that a mistyped secret pasted in the wrong place never reaches a log.
 */
export function tokenFingerprint(token: string): string {
  if (!hasValidTokenShape(token)) return `${TOKEN_PREFIX}????…????`;
  return `${TOKEN_PREFIX}${token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 4)}…${token.slice(-4)}`;
}

/** CRC-32 of the random part in base62, left-padded with `0` to 6 characters (62^6 > 2^32). */
function checksum(random: string): string {
  let value = crc32(random);
  let encoded = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    encoded = BASE62.charAt(value % 62) + encoded;
    value = Math.floor(value / 62);
  }
  return encoded;
}
