import { createHash } from "node:crypto";
import type { Clock } from "../clock/clock.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { LoginFailureRecords } from "../storage/database/login-failure-records.ts";
import { normaliseEmail } from "./email-address.ts";

/** How many failed logins, within how long, lock a subject out. */
export interface LoginLockoutPolicy {
  readonly maxFailures: number;
  readonly windowMs: number;
}

/** 10 failures in 10 minutes: ample for typos, about 1,440 guesses a day for an attacker. */
export const DEFAULT_LOGIN_LOCKOUT_POLICY: LoginLockoutPolicy = Object.freeze({
  maxFailures: 10,
  windowMs: 10 * 60_000,
});

export type LoginLockoutStatus =
  | { readonly locked: false }
  | {
      readonly locked: true;
      /** Whole seconds until enough failures leave the window for a new attempt to be heard. */
      readonly retryAfter: number;
    };

/** Longest address kept as it is in a subject; anything longer (or odd) is keyed by its hash. */
const MAX_PLAIN_ADDRESS = 64;
const PLAIN_ADDRESS = /^[\x21-\x7e]+$/;

export const LOGIN_LOCKED_MESSAGE = "too many failed sign-in attempts; try again later";

/**
 * Refuses logins after too many failures, counted two ways: by account (`account:<e-mail>`),
 * against guessing one person's password from many addresses, and by client address
 * (`ip:<address>`), against trying one common password on many accounts from one place.
 *
 * The account is keyed by the address as typed (normalised), whether or not an account has it,
 * so that the lock itself does not tell which accounts exist. An address that is not a valid
 * e-mail address cannot be an account and is counted by client address only.
 *
 * Refused attempts are not counted: otherwise an attacker who keeps trying would keep the real
 * owner locked out forever; this way the lock lifts `window` after the failures that caused it.
 */
export class LoginLockout {
  readonly #failures: LoginFailureRecords;
  readonly #clock: Clock;
  readonly #policy: LoginLockoutPolicy;

  constructor(options: { failures: LoginFailureRecords; clock: Clock; policy?: LoginLockoutPolicy }) {
    const policy = options.policy ?? DEFAULT_LOGIN_LOCKOUT_POLICY;
    if (!Number.isSafeInteger(policy.maxFailures) || policy.maxFailures < 1) {
      throw new RangeError("maxFailures must be a positive integer");
    }
    if (!Number.isSafeInteger(policy.windowMs) || policy.windowMs < 1000) {
      throw new RangeError("windowMs must be an integer of at least 1000");
    }
    this.#failures = options.failures;
    this.#clock = options.clock;
    this.#policy = policy;
  }

  get policy(): LoginLockoutPolicy {
    return this.#policy;
  }

  /** Whether a login for this address from this client is refused now, and for how long. */
  async status(email: unknown, ipAddress: string | null): Promise<LoginLockoutStatus> {
    const now = this.#clock.now().getTime();
    const since = new Date(now - this.#policy.windowMs).toISOString();
    let retryAfterMs = 0;
    for (const subject of subjects(email, ipAddress)) {
      // The maxFailures-th newest failure: when it leaves the window, fewer than the limit remain.
      const times = await this.#failures.recent(subject, since, this.#policy.maxFailures);
      const decisive = times[this.#policy.maxFailures - 1];
      if (decisive === undefined) continue;
      retryAfterMs = Math.max(retryAfterMs, Date.parse(decisive) + this.#policy.windowMs - now);
    }
    if (retryAfterMs <= 0) return { locked: false };
    return { locked: true, retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
  }

  /**
   * Throws `LoginLocked` (kind "too-many-requests", `retryAfter` in seconds) while locked. The
   * message is the same whether or not an account has the address.
   */
  async check(email: unknown, ipAddress: string | null): Promise<void> {
    const status = await this.status(email, ipAddress);
    if (status.locked) throw loginLocked(status.retryAfter);
  }

  async recordFailure(email: unknown, ipAddress: string | null): Promise<void> {
    const at = this.#clock.now().toISOString();
    for (const subject of subjects(email, ipAddress)) await this.#failures.add(subject, at);
  }

  /**
   * After a successful login: forgets the account's failures. The address's are kept, since one
   * success (an attacker's own account, say) must not buy another round of guesses elsewhere.
   */
  async clear(email: unknown): Promise<void> {
    const subject = accountSubject(email);
    if (subject !== null) await this.#failures.clear(subject);
  }

  /** Removes failures that no window counts any more; for a periodic job. */
  async prune(): Promise<number> {
    const before = new Date(this.#clock.now().getTime() - this.#policy.windowMs).toISOString();
    return this.#failures.prune(before);
  }
}

export function loginLocked(retryAfter: number): DomainError {
  return new DomainError("too-many-requests", "LoginLocked", LOGIN_LOCKED_MESSAGE, { retryAfter });
}

function subjects(email: unknown, ipAddress: string | null): string[] {
  const account = accountSubject(email);
  const address = addressSubject(ipAddress);
  return [account, address].filter((subject) => subject !== null);
}

function accountSubject(email: unknown): string | null {
  try {
    return `account:${normaliseEmail(email)}`;
  } catch {
    return null;
  }
}

/**
 * `ip:<address>`. The address comes from the HTTP layer (possibly from a forwarding header), so
 * it is not trusted to be short or printable: such a value is keyed by its SHA-256 instead, which
 * still counts repeated attempts together without storing arbitrary text.
 */
function addressSubject(ipAddress: string | null): string | null {
  const value: unknown = ipAddress;
  if (typeof value !== "string" || value === "") return null;
  if (value.length <= MAX_PLAIN_ADDRESS && PLAIN_ADDRESS.test(value)) return `ip:${value.toLowerCase()}`;
  return `ip:sha256:${createHash("sha256").update(value, "utf8").digest("hex")}`;
}
