import { createHash, randomBytes } from "node:crypto";

const TOKEN_BYTES = 32;
/** 32 bytes in base64url without padding. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * A new one-time link token (32 random bytes, base64url: 256 bits nobody can guess) and the
 * SHA-256 that is stored in its place. The token goes into the link once and is never stored.
 */
export function newAccountLinkToken(): { readonly token: string; readonly hash: string } {
  const token = randomBytes(TOKEN_BYTES).toString("base64url");
  return { token, hash: sha256Hex(token) };
}

/**
 * The stored hash of a token as a client sent it, or null when it cannot be a token at all (not a
 * string, the wrong length or alphabet): such input never reaches the database.
 */
export function accountLinkTokenHash(token: unknown): string | null {
  return typeof token === "string" && TOKEN_SHAPE.test(token) ? sha256Hex(token) : null;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
