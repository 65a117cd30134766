import type { AuditOutcome } from "../audit/audit-event.ts";
import type { AuditTrail } from "../audit/audit-trail.ts";
import type { Clock } from "../clock/clock.ts";
import { conflict, DomainError, invalidInput, notFound } from "../errors/domain-error.ts";
import type { LoginFailureRecords } from "../storage/database/login-failure-records.ts";
import type { RecoveryCodeRecords } from "../storage/database/recovery-code-records.ts";
import type { TwoFactorRecords } from "../storage/database/two-factor-records.ts";
import type { UserRecord, UserRecords } from "../storage/database/user-records.ts";
import { LoginLockout, type LoginLockoutPolicy } from "./login-lockout.ts";
import { Reauthentication, type ReauthenticationProof } from "./reauthentication.ts";
import { hashRecoveryCode, newRecoveryCodes } from "./recovery-codes.ts";
import { SecondFactorCheck } from "./second-factor-check.ts";
import type { SecretBox } from "./secret-box.ts";
import { newTotpSecret, totpUri } from "./totp.ts";
import { twoFactorOptional, type TwoFactorPolicy } from "./two-factor-policy.ts";

export interface TwoFactorServiceOptions {
  readonly users: UserRecords;
  readonly recoveryCodes: RecoveryCodeRecords;
  readonly twoFactor: TwoFactorRecords;
  readonly failures: LoginFailureRecords;
  readonly secretBox: SecretBox;
  readonly clock: Clock;
  readonly policy?: TwoFactorPolicy;
  readonly lockout?: LoginLockoutPolicy;
}

export interface TwoFactorStatus {
  readonly enabled: boolean;
  /** Enrolment started (`beginTotp`) and not confirmed yet. */
  readonly pending: boolean;
  readonly enabledAt: string | null;
  readonly recoveryCodesLeft: number;
  /** Whether the policy requires 2FA of everyone now. */
  readonly required: boolean;
}

type TwoFactorAction =
  "two_factor_enabled" | "two_factor_disabled" | "two_factor_reset" | "recovery_codes_regenerated";

/**
 * Two-factor authentication of one person: enrolment (`beginTotp`, `confirmTotp`), turning it
 * off after re-authentication, new recovery codes, and an admin's reset. Every change is a `user`
 * event (actor: who acts, from the trail; target: the user), refused ones too (outcome `failure`
 * or `denied`, with the error code); no secret, code or recovery code ever enters an event.
 */
export class TwoFactorService {
  readonly #users: UserRecords;
  readonly #recoveryCodes: RecoveryCodeRecords;
  readonly #twoFactor: TwoFactorRecords;
  readonly #secretBox: SecretBox;
  readonly #clock: Clock;
  readonly #policy: TwoFactorPolicy;
  readonly #secondFactor: SecondFactorCheck;
  readonly #reauthentication: Reauthentication;

  constructor(options: TwoFactorServiceOptions) {
    this.#users = options.users;
    this.#recoveryCodes = options.recoveryCodes;
    this.#twoFactor = options.twoFactor;
    this.#secretBox = options.secretBox;
    this.#clock = options.clock;
    this.#policy = options.policy ?? twoFactorOptional;
    this.#secondFactor = new SecondFactorCheck(options);
    const lockout = new LoginLockout({
      failures: options.failures,
      clock: options.clock,
      ...(options.lockout === undefined ? {} : { policy: options.lockout }),
    });
    this.#reauthentication = new Reauthentication({ lockout, secondFactor: this.#secondFactor });
  }

  async status(userId: string): Promise<TwoFactorStatus> {
    const user = await this.#requireUser(userId);
    return {
      enabled: user.totpEnabledAt !== null,
      pending: user.totpEnabledAt === null && user.totpSecret !== null,
      enabledAt: user.totpEnabledAt,
      recoveryCodesLeft: user.totpEnabledAt === null ? 0 : await this.#recoveryCodes.countUnused(user.id),
      required: await this.#policy.requireTwoFactor(),
    };
  }

  /**
   * Starts TOTP enrolment: a new secret, stored sealed but not enabled until `confirmTotp` sees a
   * code from it (starting again replaces a pending secret). The secret and URI go to the user
   * once (for the QR code). Refused while 2FA is on (`TwoFactorAlreadyEnabled`).
   */
  async beginTotp(userId: string): Promise<{ secret: string; uri: string }> {
    const user = await this.#requireUser(userId);
    if (user.totpEnabledAt !== null) throw alreadyEnabled();
    const secret = newTotpSecret();
    await this.#users.setTotp(user.id, this.#secretBox.seal(secret), null, this.#clock.now().toISOString());
    return { secret, uri: totpUri({ secret, account: user.email }) };
  }

  /**
   * Turns 2FA on once the user proves their authenticator has the secret: a current code, whose
   * step is then spent like at sign-in (a replayed code is refused). Hands out the recovery codes,
   * once: only their hashes are kept, and they are stored before 2FA is enabled, so no moment
   * exists with 2FA on and no way back in. Records `two_factor_enabled`.
   */
  async confirmTotp(userId: string, code: unknown, trail: AuditTrail): Promise<{ recoveryCodes: string[] }> {
    return this.#audited(trail, "two_factor_enabled", userId, async () => {
      const user = await this.#requireUser(userId);
      if (user.totpEnabledAt !== null) throw alreadyEnabled();
      if (user.totpSecret === null) {
        throw conflict("TwoFactorNotStarted", "two-factor enrolment has not been started");
      }
      if (!(await this.#secondFactor.acceptTotp(user, code))) {
        throw invalidInput(
          "InvalidTwoFactorCode",
          "the code does not match (or was used already); check the authenticator's clock",
          { field: "code" },
        );
      }
      const recoveryCodes = newRecoveryCodes();
      await this.#recoveryCodes.replaceAll(user.id, recoveryCodes.map(hashRecoveryCode));
      const now = this.#clock.now().toISOString();
      await this.#users.setTotp(user.id, user.totpSecret, now, now);
      return { result: { recoveryCodes }, details: { recovery_codes: recoveryCodes.length } };
    });
  }

  /**
   * The user turns their own 2FA off (a pending enrolment is abandoned the same way), after
   * re-authenticating with their password or a current TOTP code. Refused while the policy
   * requires 2FA (`TwoFactorRequiredByPolicy`, forbidden): only an admin's `resetTwoFactor` can
   * then remove it, and the next sign-in must enrol again. Records `two_factor_disabled`.
   */
  async disableTotp(userId: string, proof: ReauthenticationProof, trail: AuditTrail): Promise<void> {
    await this.#audited(trail, "two_factor_disabled", userId, async () => {
      const user = await this.#requireUser(userId);
      if (user.totpSecret === null && user.totpEnabledAt === null) throw notEnabled();
      if (await this.#policy.requireTwoFactor()) {
        throw new DomainError(
          "forbidden",
          "TwoFactorRequiredByPolicy",
          "two-factor authentication is required for everyone: it cannot be turned off (an admin can reset it)",
        );
      }
      const method = await this.#reauthentication.verify(user, proof, ["password", "totp"]);
      await this.#clear(user.id, false);
      return { result: undefined, details: { method, was_enabled: user.totpEnabledAt !== null } };
    });
  }

  /**
   * New recovery codes for someone with 2FA on, after a current TOTP code (`proof.code`; a
   * password is not enough here): the old codes, used or not, stop working in the same
   * transaction. Records `recovery_codes_regenerated`.
   */
  async regenerateRecoveryCodes(
    userId: string,
    proof: Pick<ReauthenticationProof, "code" | "ipAddress">,
    trail: AuditTrail,
  ): Promise<{ recoveryCodes: string[] }> {
    return this.#audited(trail, "recovery_codes_regenerated", userId, async () => {
      const user = await this.#requireUser(userId);
      if (user.totpEnabledAt === null) throw notEnabled();
      await this.#reauthentication.verify(user, proof, ["totp"]);
      const unused = await this.#recoveryCodes.countUnused(user.id);
      const recoveryCodes = newRecoveryCodes();
      await this.#recoveryCodes.replaceAll(user.id, recoveryCodes.map(hashRecoveryCode));
      return {
        result: { recoveryCodes },
        details: { recovery_codes: recoveryCodes.length, replaced_unused: unused },
      };
    });
  }

  /**
   * An admin's reset, for someone who lost their authenticator and recovery codes: the secret
   * and the recovery codes go and every session of the user ends, in one transaction. Allowed
   * whatever the policy: with the policy on, their next sign-in is an enrolment-only session.
   * Who may call it (`users:manage`) is the caller's check. Records `two_factor_reset` (warning).
   */
  async resetTwoFactor(userId: string, trail: AuditTrail): Promise<{ sessionsEnded: number }> {
    return this.#audited(trail, "two_factor_reset", userId, async () => {
      const user = await this.#requireUser(userId);
      if (user.totpSecret === null && user.totpEnabledAt === null) throw notEnabled();
      const { sessionsEnded } = await this.#clear(user.id, true);
      return {
        result: { sessionsEnded },
        details: { was_enabled: user.totpEnabledAt !== null, sessions_ended: sessionsEnded },
      };
    });
  }

  async #clear(userId: string, endSessions: boolean): Promise<{ sessionsEnded: number }> {
    const cleared = await this.#twoFactor.clear(userId, this.#clock.now().toISOString(), { endSessions });
    if (cleared === null) throw userNotFound();
    return cleared;
  }

  /** Runs `work` and records its event: success with its details, or the refusal's code. */
  async #audited<T>(
    trail: AuditTrail,
    action: TwoFactorAction,
    userId: string,
    work: () => Promise<{ result: T; details: Record<string, unknown> }>,
  ): Promise<T> {
    const target = { type: "user", id: userId.slice(0, 64) };
    let outcome: { result: T; details: Record<string, unknown> };
    try {
      outcome = await work();
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "user",
          action,
          outcome: refusalOutcome(error),
          severity: "warning",
          target,
          details: { code: error.code },
        });
      }
      throw error;
    }
    await trail.record({
      event: "user",
      action,
      outcome: "success",
      severity: action === "two_factor_disabled" || action === "two_factor_reset" ? "warning" : "info",
      target,
      details: outcome.details,
    });
    return outcome.result;
  }

  async #requireUser(userId: string): Promise<UserRecord> {
    const user = typeof userId === "string" ? await this.#users.findById(userId) : null;
    if (user === null) throw userNotFound();
    return user;
  }
}

/** Not allowed (policy, re-authentication, lockout) is `denied`; anything else did not work. */
function refusalOutcome(error: DomainError): AuditOutcome {
  return error.kind === "forbidden" || error.kind === "too-many-requests" ? "denied" : "failure";
}

const alreadyEnabled = (): DomainError =>
  conflict("TwoFactorAlreadyEnabled", "two-factor authentication is already enabled; disable it first");

const notEnabled = (): DomainError =>
  conflict("TwoFactorNotEnabled", "two-factor authentication is not enabled for this user");

const userNotFound = (): DomainError => notFound("UserNotFound", "no user has this id");
