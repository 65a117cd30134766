import type { Clock } from "../clock/clock.ts";
import type { RecoveryCodeRecords } from "../storage/database/recovery-code-records.ts";
import type { UserRecord, UserRecords } from "../storage/database/user-records.ts";
import { hashRecoveryCode, normaliseRecoveryCode } from "./recovery-codes.ts";
import type { SecretBox } from "./secret-box.ts";
import { verifyTotp } from "./totp.ts";

/**
 * Checks a second factor against what is stored: a TOTP code (each step accepted once per
 * account) or a recovery code (each code once). Both decisions are taken by a conditional UPDATE,
 * so of two requests racing with one code exactly one succeeds. Never throws for any input.
 */
export class SecondFactorCheck {
  readonly #users: UserRecords;
  readonly #recoveryCodes: RecoveryCodeRecords;
  readonly #secretBox: SecretBox;
  readonly #clock: Clock;

  constructor(options: {
    users: UserRecords;
    recoveryCodes: RecoveryCodeRecords;
    secretBox: SecretBox;
    clock: Clock;
  }) {
    this.#users = options.users;
    this.#recoveryCodes = options.recoveryCodes;
    this.#secretBox = options.secretBox;
    this.#clock = options.clock;
  }

  /**
   * Whether the code is the current TOTP code of the user's secret (enabled or still being
   * enrolled) and its step was not used before. The accepted step is stored at once.
   */
  async acceptTotp(user: UserRecord, code: unknown): Promise<boolean> {
    if (user.totpSecret === null || typeof code !== "string") return false;
    const result = verifyTotp({
      secret: this.#secretBox.open(user.totpSecret),
      code,
      now: this.#clock.now(),
      lastUsedStep: user.totpLastStep,
    });
    return result.ok && (await this.#users.setTotpLastStep(user.id, result.step));
  }

  /** Whether the code is one of the user's unused recovery codes; it is used up if so. */
  async acceptRecoveryCode(user: UserRecord, code: unknown): Promise<boolean> {
    const normalised = typeof code === "string" ? normaliseRecoveryCode(code) : null;
    if (normalised === null) return false;
    return this.#recoveryCodes.consume(
      user.id,
      hashRecoveryCode(normalised),
      this.#clock.now().toISOString(),
    );
  }
}
