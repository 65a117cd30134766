import type { Clock } from "../clock/clock.ts";
import { DomainError, invalidInput, notFound } from "../errors/domain-error.ts";
import type { AccountStores } from "../storage/database/account-stores.ts";
import { loginLocked, type LoginLockout } from "./login-lockout.ts";
import { hashNewPassword } from "./hash-new-password.ts";
import { dummyPasswordVerify, MAX_PASSWORD_INPUT_LENGTH, verifyPassword } from "./password-hash.ts";
import { toPublicUser, type PublicUser } from "./user-service.ts";

export interface ChangePasswordInput {
  readonly currentPassword?: unknown;
  readonly newPassword?: unknown;
  /** The SHA-256 of the session asking (`AuthenticatedSession.idHash`): it stays signed in. */
  readonly keepSessionIdHash?: string;
  /** The client's address, for the lockout (as `LoginInput.ipAddress`). */
  readonly ipAddress?: string | null;
}

export interface ChangedPassword {
  readonly user: PublicUser;
  /** The user's other sessions, ended. */
  readonly endedSessions: number;
}

/**
 * A signed-in person changes their own password: the current one proves it is them, not someone
 * with their open session. The new password, `password_changed_at` and the end of every other
 * session of the user are one transaction.
 */
export class PasswordChanges {
  readonly #stores: AccountStores;
  readonly #clock: Clock;
  readonly #lockout: LoginLockout | null;

  /**
   * With a `lockout`, a wrong current password counts against the account and the address like a
   * failed sign-in (a stolen session must not guess the password faster than the sign-in form),
   * and while locked nothing is checked.
   */
  constructor(options: { stores: AccountStores; clock: Clock; lockout?: LoginLockout }) {
    this.#stores = options.stores;
    this.#clock = options.clock;
    this.#lockout = options.lockout ?? null;
  }

  /**
   * `WrongCurrentPassword` (403) when the current password is not the user's (or the user has
   * none), counted by the lockout; `LoginLocked` (429) while locked out. `InvalidPassword` / `WeakPassword`
   * (400) for the new one; `UserNotFound` (404) for an unknown or deleted user.
   */
  async changePassword(userId: string, input: ChangePasswordInput): Promise<ChangedPassword> {
    const user = await this.#stores.users.findById(userId);
    if (user === null) throw notFound("UserNotFound", "no user has this id");
    // A client's body: anything but an object has no fields.
    const body: unknown = input;
    const fields: ChangePasswordInput = typeof body === "object" && body !== null ? body : {};
    const current = fields.currentPassword;
    if (typeof current !== "string" || current === "") {
      throw invalidInput("CurrentPasswordRequired", "the current password is required", {
        field: "currentPassword",
      });
    }
    const ipAddress = fields.ipAddress ?? null;
    const status = await this.#lockout?.status(user.email, ipAddress);
    if (status?.locked === true) throw loginLocked(status.retryAfter);
    const matches =
      user.passwordHash === null || current.length > MAX_PASSWORD_INPUT_LENGTH
        ? await dummyPasswordVerify(current)
        : await verifyPassword(current, user.passwordHash);
    if (!matches) {
      await this.#lockout?.recordFailure(user.email, ipAddress);
      throw new DomainError("forbidden", "WrongCurrentPassword", "the current password is not right", {
        field: "currentPassword",
      });
    }
    const passwordHash = await hashNewPassword(
      fields.newPassword,
      { email: user.email, ...(user.name === null ? {} : { name: user.name }) },
      "newPassword",
    );
    const at = this.#clock.now().toISOString();
    const changed = await this.#stores.transaction(async ({ users, sessions }) => {
      const updated = await users.update(user.id, { passwordHash, passwordChangedAt: at }, at);
      if (updated === null) return null;
      return { updated, endedSessions: await sessions.deleteAllForUser(user.id, fields.keepSessionIdHash) };
    });
    if (changed === null) throw notFound("UserNotFound", "no user has this id");
    return { user: toPublicUser(changed.updated), endedSessions: changed.endedSessions };
  }
}
