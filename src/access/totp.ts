import { HOTP, Secret, TOTP } from "otpauth";

/**
 * Time-based one-time passwords (RFC 6238) for two-factor authentication, with the settings every
 * authenticator app supports: HMAC-SHA1, 6 digits, 30-second steps. The library (`otpauth`)
 * computes the codes; this module decides what is accepted:
 *
 * - exactly 6 ASCII digits after trimming surrounding white space, anything else is `malformed`
 *   (and never reaches the library, whose comparison throws on strings of other byte lengths);
 * - the code of the previous, current or next step (window 1: up to 30 s of clock drift either
 *   way, and time to type);
 * - never a step at or before the last one accepted for the account (`replayed`): a code that
 *   was seen once, on the wire or over a shoulder, is worthless afterwards. The caller stores the
 *   returned `step` as the account's `lastUsedStep`.
 */

export const TOTP_ISSUER = "PACKAGE.broker";
export const TOTP_ALGORITHM = "SHA1";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted on either side of the current one. */
export const TOTP_WINDOW = 1;
/** Random bytes in a secret: 160 bits, the HMAC-SHA1 output size that RFC 4226 recommends. */
const SECRET_BYTES = 20;
/** Longer input is not a code and is not trimmed or looked at any further. */
const MAX_CODE_INPUT_LENGTH = 64;
const CODE_SHAPE = /^[0-9]{6}$/;

export type TotpVerification =
  | { readonly ok: true; readonly step: number }
  | { readonly ok: false; readonly reason: "malformed" | "wrong" | "replayed" };

/** A new random secret in base32 (32 characters, no padding), as authenticator apps expect it. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://totp/...` URI that the enrolment QR code carries. */
export function totpUri({
  secret,
  account,
  issuer = TOTP_ISSUER,
}: {
  secret: string;
  account: string;
  issuer?: string;
}): string {
  return new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** The 30-second step that a moment falls in (seconds since the epoch / 30, rounded down). */
export function totpStep(now: Date): number {
  const time = now.getTime();
  if (!Number.isFinite(time)) throw new RangeError("invalid date");
  return Math.floor(time / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * Check a code typed by the user. Never throws for any `code`; throws only for a secret that is
 * not base32 or an invalid date, which are the caller's bugs, not the user's.
 */
export function verifyTotp({
  secret,
  code,
  now,
  lastUsedStep,
}: {
  secret: string;
  code: string;
  now: Date;
  lastUsedStep: number | null;
}): TotpVerification {
  const key = Secret.fromBase32(secret);
  const current = totpStep(now);
  const token = normaliseCode(code);
  if (token === null) return { ok: false, reason: "malformed" };

  // Check every step in the window (no early exit), and prefer the latest step that matches.
  let accepted: number | null = null;
  let replayed = false;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const matches =
      HOTP.validate({
        token,
        secret: key,
        algorithm: TOTP_ALGORITHM,
        digits: TOTP_DIGITS,
        counter: step,
        window: 0,
      }) !== null;
    if (!matches) continue;
    if (lastUsedStep !== null && step <= lastUsedStep) replayed = true;
    else accepted = step;
  }
  if (accepted !== null) return { ok: true, step: accepted };
  return { ok: false, reason: replayed ? "replayed" : "wrong" };
}

function normaliseCode(code: string): string | null {
  const value: unknown = code;
  if (typeof value !== "string" || value.length > MAX_CODE_INPUT_LENGTH) return null;
  const trimmed = value.trim();
  return CODE_SHAPE.test(trimmed) ? trimmed : null;
}
