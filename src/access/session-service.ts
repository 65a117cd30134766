import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock/clock.ts";
import type { LoginFailureRecords } from "../storage/database/login-failure-records.ts";
import type { RecoveryCodeRecords } from "../storage/database/recovery-code-records.ts";
import type { SessionRecords } from "../storage/database/session-records.ts";
import type { UserRecord, UserRecords } from "../storage/database/user-records.ts";
import { normaliseEmail } from "./email-address.ts";
import { LOGIN_LOCKED_MESSAGE, LoginLockout, type LoginLockoutPolicy } from "./login-lockout.ts";
import { LoginRefused, type LoginRefusalReason } from "./login-refused.ts";
import {
  dummyPasswordVerify,
  hashPassword,
  MAX_PASSWORD_INPUT_LENGTH,
  passwordHashNeedsRehash,
  verifyPassword,
} from "./password-hash.ts";
import { SecondFactorCheck } from "./second-factor-check.ts";
import type { SecretBox } from "./secret-box.ts";
import { twoFactorOptional, type TwoFactorPolicy } from "./two-factor-policy.ts";
import { toPublicUser, type PublicUser } from "./user-service.ts";

export interface LoginInput {
  readonly email: unknown;
  readonly password: unknown;
  /** A TOTP code; absent, null or blank means none was given. */
  readonly code?: unknown;
  /** A recovery code, used when no TOTP code is given. */
  readonly recoveryCode?: unknown;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

export interface LoginResult {
  /** For the session cookie. Shown once: only its SHA-256 is stored. */
  readonly sessionToken: string;
  /** For the double-submit header; also stored only as a hash. */
  readonly csrfToken: string;
  readonly user: PublicUser;
  /** The absolute end of the session (the idle timeout may end it sooner). */
  readonly expiresAt: string;
  /** Which second factor was used, for the audit log. */
  readonly secondFactor: "totp" | "recovery-code" | null;
  /**
   * The policy requires 2FA and this person has none: the session may only read its user, enrol
   * TOTP, change the password and sign out (see `two-factor-enrolment.ts`) until they enrol.
   */
  readonly twoFactorEnrolmentRequired: boolean;
}

export interface AuthenticatedSession {
  readonly idHash: string;
  readonly userId: string;
  readonly csrfHash: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  /**
   * Decided on every request: true while the policy requires 2FA and the user has not enrolled.
   * Enrolling lifts it for the same session; turning the policy on applies it to open sessions.
   */
  readonly twoFactorEnrolmentRequired: boolean;
}

export interface SessionLifetimes {
  /** From login to the end, whatever the activity. */
  readonly absoluteMs: number;
  /** Without a request for this long, the session ends. */
  readonly idleMs: number;
}

export const DEFAULT_SESSION_LIFETIMES: SessionLifetimes = Object.freeze({
  absoluteMs: 12 * 3_600_000,
  idleMs: 2 * 3_600_000,
});

export interface SessionServiceOptions {
  readonly users: UserRecords;
  readonly sessions: SessionRecords;
  readonly failures: LoginFailureRecords;
  readonly recoveryCodes: RecoveryCodeRecords;
  readonly secretBox: SecretBox;
  readonly clock: Clock;
  readonly lockout?: LoginLockoutPolicy;
  readonly lifetimes?: SessionLifetimes;
  /** Whether everyone must use 2FA (the `security.requireTwoFactor` setting); default: no. */
  readonly twoFactorPolicy?: TwoFactorPolicy;
}

export const INVALID_CREDENTIALS_MESSAGE = "invalid e-mail address or password";
/** `last_seen_at` is written at most this often per session: one write a minute, not per request. */
const TOUCH_INTERVAL_MS = 60_000;
const TOKEN_BYTES = 32;
/** 32 bytes in base64url without padding. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const LONE_SURROGATE = /\p{Cs}/u;
const MAX_USER_AGENT = 512;
const MAX_IP_ADDRESS = 64;
// eslint-disable-next-line no-control-regex -- control characters are what this removes
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Signing in with a password and, when enabled, a second factor; browser sessions. TOTP
 * enrolment and the rest of 2FA management are `TwoFactorService`'s. HTTP-free: routes call it
 * and turn its errors into responses.
 *
 * Session and CSRF tokens are 32 random bytes (base64url); the database holds only their
 * SHA-256, so a copy of the database opens no session.
 */
export class SessionService {
  readonly #users: UserRecords;
  readonly #sessions: SessionRecords;
  readonly #clock: Clock;
  readonly #lockout: LoginLockout;
  readonly #lifetimes: SessionLifetimes;
  readonly #secondFactor: SecondFactorCheck;
  readonly #policy: TwoFactorPolicy;

  constructor(options: SessionServiceOptions) {
    const lifetimes = options.lifetimes ?? DEFAULT_SESSION_LIFETIMES;
    if (![lifetimes.absoluteMs, lifetimes.idleMs].every((ms) => Number.isSafeInteger(ms) && ms > 0)) {
      throw new RangeError("session lifetimes must be positive integers of milliseconds");
    }
    this.#users = options.users;
    this.#sessions = options.sessions;
    this.#clock = options.clock;
    this.#lifetimes = lifetimes;
    this.#secondFactor = new SecondFactorCheck(options);
    this.#policy = options.twoFactorPolicy ?? twoFactorOptional;
    this.#lockout = new LoginLockout({
      failures: options.failures,
      clock: options.clock,
      ...(options.lockout === undefined ? {} : { policy: options.lockout }),
    });
  }

  /**
   * Checks the credentials and opens a session. Every refusal is a `LoginRefused`:
   * `InvalidCredentials` (one message for an unknown account, a wrong password, a blocked user, a
   * user without a password and input that is not even an e-mail address), `TwoFactorRequired`,
   * `InvalidTwoFactorCode` or `LoginLocked` (with `retryAfter` seconds). Someone without 2FA
   * while the policy requires it gets an enrolment-only session (`twoFactorEnrolmentRequired`).
   */
  async login(input: LoginInput): Promise<LoginResult> {
    const user = await this.#findAccount(input.email);
    // Locked first: while locked the password is not even looked at, so guessing gains nothing.
    const status = await this.#lockout.status(input.email, input.ipAddress);
    if (status.locked) {
      throw new LoginRefused("LoginLocked", LOGIN_LOCKED_MESSAGE, "locked", user?.id ?? null, {
        retryAfter: status.retryAfter,
      });
    }
    const password = usablePassword(input.password);
    const verified = await this.#checkPassword(input, user, password);
    const secondFactor =
      verified.totpEnabledAt === null ? null : await this.#checkSecondFactor(verified, input);
    const twoFactorEnrolmentRequired = await this.#enrolmentRequired(verified);
    await this.#lockout.clear(input.email);
    const current = await this.#rehashIfNeeded(verified, password);
    return { ...(await this.#openSession(current, input)), secondFactor, twoFactorEnrolmentRequired };
  }

  /**
   * The session and user behind a session token, or null: for a token of the wrong shape, an
   * unknown or ended session (past its absolute end or idle too long; it is deleted then), or a
   * user who is blocked or gone. The policy is read only for a user without 2FA.
   */
  async authenticate(
    sessionToken: unknown,
  ): Promise<{ user: PublicUser; session: AuthenticatedSession } | null> {
    if (!isSecretToken(sessionToken)) return null;
    const idHash = sha256Hex(sessionToken);
    const session = await this.#sessions.findByIdHash(idHash);
    // A half-finished two-step login is not a session (this service never creates one).
    if (session === null || session.pendingMfa) return null;
    const now = this.#clock.now();
    const idleMs = now.getTime() - Date.parse(session.lastSeenAt);
    if (now.getTime() >= Date.parse(session.expiresAt) || idleMs >= this.#lifetimes.idleMs) {
      await this.#sessions.delete(idHash);
      return null;
    }
    const user = await this.#users.findById(session.userId);
    if (user?.status !== "active") {
      await this.#sessions.delete(idHash);
      return null;
    }
    let lastSeenAt = session.lastSeenAt;
    if (idleMs >= TOUCH_INTERVAL_MS) {
      lastSeenAt = now.toISOString();
      await this.#sessions.touch(idHash, lastSeenAt);
    }
    const { userId, csrfHash, createdAt, expiresAt } = session;
    const twoFactorEnrolmentRequired = await this.#enrolmentRequired(user);
    return {
      user: toPublicUser(user),
      session: { idHash, userId, csrfHash, createdAt, lastSeenAt, expiresAt, twoFactorEnrolmentRequired },
    };
  }

  /** Whether the CSRF token belongs to the session; constant-time, false for any malformed input. */
  verifyCsrf(session: Pick<AuthenticatedSession, "csrfHash">, csrfToken: unknown): boolean {
    if (!isSecretToken(csrfToken)) return false;
    const given = createHash("sha256").update(csrfToken, "utf8").digest();
    const stored = Buffer.from(session.csrfHash, "hex");
    return stored.length === given.length && timingSafeEqual(given, stored);
  }

  /** Ends the session; false when there was none (already ended, or not a token at all). */
  async logout(sessionToken: unknown): Promise<boolean> {
    if (!isSecretToken(sessionToken)) return false;
    return this.#sessions.delete(sha256Hex(sessionToken));
  }

  /** Ends every session of the user (a password change, a block, "log out everywhere"). */
  async logoutEverywhere(userId: string): Promise<number> {
    return this.#sessions.deleteAllForUser(userId);
  }

  /** Deletes ended sessions and failures no window counts any more; for a periodic job. */
  async pruneExpired(): Promise<{ sessions: number; failures: number }> {
    const now = this.#clock.now();
    const idleCutoff = new Date(now.getTime() - this.#lifetimes.idleMs).toISOString();
    const sessions = await this.#sessions.deleteExpired(now.toISOString(), idleCutoff);
    return { sessions, failures: await this.#lockout.prune() };
  }

  /** The account with this address; null for no account, or for input that is no address. */
  async #findAccount(email: unknown): Promise<UserRecord | null> {
    let normalised: string;
    try {
      normalised = normaliseEmail(email);
    } catch {
      return null;
    }
    return this.#users.findByEmail(normalised);
  }

  /**
   * The user, if the password is theirs and they may sign in. The scrypt work is done in every
   * case (a dummy verification without an account or a password, or for input that could never
   * verify), so that the time taken does not tell which case it was.
   */
  async #checkPassword(
    input: LoginInput,
    user: UserRecord | null,
    password: string | null,
  ): Promise<UserRecord> {
    const hash = user?.passwordHash ?? null;
    const matches =
      hash === null || password === null
        ? await dummyPasswordVerify(password ?? "")
        : await verifyPassword(password, hash);
    if (user === null) return this.#refuse(input, "unknown-account", null);
    if (hash === null) return this.#refuse(input, "no-password", user.id);
    if (!matches) return this.#refuse(input, "wrong-password", user.id);
    // Only now: a blocked user learns nothing the wrong-password answer would not tell them.
    if (user.status !== "active") return this.#refuse(input, "blocked", user.id);
    return user;
  }

  /**
   * The second factor, after the right password: a TOTP code, or failing that a recovery code.
   * Neither given is `TwoFactorRequired`, not a counted failure (the usual first step of a 2FA
   * login); a wrong, replayed or used code is.
   */
  async #checkSecondFactor(user: UserRecord, input: LoginInput): Promise<"totp" | "recovery-code"> {
    const code = givenCode(input.code);
    const recoveryCode = givenCode(input.recoveryCode);
    if (code !== undefined) {
      if (await this.#secondFactor.acceptTotp(user, code)) return "totp";
    } else if (recoveryCode !== undefined) {
      if (await this.#secondFactor.acceptRecoveryCode(user, recoveryCode)) return "recovery-code";
    } else {
      throw new LoginRefused(
        "TwoFactorRequired",
        "a two-factor authentication code is required",
        "code-required",
        user.id,
      );
    }
    return this.#refuse(input, "wrong-code", user.id, "InvalidTwoFactorCode", "invalid two-factor code");
  }

  /** Whether the policy withholds every permission until this user enrols in 2FA. */
  async #enrolmentRequired(user: UserRecord): Promise<boolean> {
    return user.totpEnabledAt === null && (await this.#policy.requireTwoFactor());
  }

  /** Counts the failure against the account and the address, then refuses. */
  async #refuse(
    input: LoginInput,
    reason: LoginRefusalReason,
    userId: string | null,
    code = "InvalidCredentials",
    message = INVALID_CREDENTIALS_MESSAGE,
  ): Promise<never> {
    await this.#lockout.recordFailure(input.email, input.ipAddress);
    throw new LoginRefused(code, message, reason, userId);
  }

  /** Stores a new hash when the old one has weaker parameters than new hashes get. */
  async #rehashIfNeeded(user: UserRecord, password: string | null): Promise<UserRecord> {
    if (password === null || user.passwordHash === null || !passwordHashNeedsRehash(user.passwordHash)) {
      return user;
    }
    const passwordHash = await hashPassword(password);
    return (await this.#users.update(user.id, { passwordHash }, this.#clock.now().toISOString())) ?? user;
  }

  async #openSession(
    user: UserRecord,
    input: LoginInput,
  ): Promise<Omit<LoginResult, "secondFactor" | "twoFactorEnrolmentRequired">> {
    const sessionToken = randomBytes(TOKEN_BYTES).toString("base64url");
    const csrfToken = csrfTokenFor(sessionToken);
    const now = this.#clock.now();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + this.#lifetimes.absoluteMs).toISOString();
    await this.#sessions.insert({
      idHash: sha256Hex(sessionToken),
      userId: user.id,
      csrfHash: sha256Hex(csrfToken),
      pendingMfa: false,
      ipAddress: storedIpAddress(input.ipAddress),
      userAgent: storedUserAgent(input.userAgent),
      createdAt,
      lastSeenAt: createdAt,
      expiresAt,
    });
    return { sessionToken, csrfToken, user: toPublicUser(user), expiresAt };
  }
}

/**
 * The CSRF token of a session: derived from the session token (HMAC keyed with it), so the
 * server can hand it out again from the cookie (`GET /api/session`, after a page reload) while a
 * page of another site, which can make the browser send the cookie but never read it, cannot
 * compute it. Only its hash is stored, like the session token's.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("package-broker csrf v1").digest("base64url");
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function isSecretToken(value: unknown): value is string {
  return typeof value === "string" && TOKEN_SHAPE.test(value);
}

/**
 * The password as something scrypt can check, or null for input that could never match (not a
 * string, absurdly long, not valid Unicode). Decided before the account is looked at:
 * `verifyPassword` answers such input at once, which would make a known account answer faster
 * than an unknown one.
 */
function usablePassword(value: unknown): string | null {
  if (typeof value !== "string" || value.length > MAX_PASSWORD_INPUT_LENGTH) return null;
  return LONE_SURROGATE.test(value) ? null : value;
}

/**
 * A second-factor field: undefined when not given (absent, null, blank: forms send empty fields).
 * Anything else given stays as it is and is checked; a non-string then simply does not match.
 */
function givenCode(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" && value.trim() === "") return undefined;
  return value;
}

/** The client address as the session keeps it: a short printable string, or nothing. */
function storedIpAddress(value: string | null): string | null {
  const input: unknown = value;
  if (typeof input !== "string" || input.length > MAX_IP_ADDRESS || !/^[\x21-\x7e]+$/.test(input))
    return null;
  return input;
}

/** The User-Agent for the "your sessions" list: no control characters, bounded. */
function storedUserAgent(value: string | null): string | null {
  const input: unknown = value;
  if (typeof input !== "string") return null;
  const cleaned = input.replace(CONTROL_CHARACTERS, "").slice(0, MAX_USER_AGENT).trim();
  return cleaned === "" ? null : cleaned;
}
