/**
 * Whether every person must use two-factor authentication (the runtime setting
 * `security.requireTwoFactor`, see docs/settings.md). Read from the database on every call, so a
 * change made by another process or node counts at once: sign-in asks once per login, and a
 * session of someone without 2FA asks once per request.
 */
export interface TwoFactorPolicy {
  requireTwoFactor(): Promise<boolean>;
}

/** No policy: 2FA stays each person's choice (tests, and services wired without settings). */
export const twoFactorOptional: TwoFactorPolicy = Object.freeze({
  requireTwoFactor: () => Promise.resolve(false),
});
