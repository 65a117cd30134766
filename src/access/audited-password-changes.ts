import type { AuditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { ChangedPassword, ChangePasswordInput, PasswordChanges } from "./password-changes.ts";

/** A person's change of their own password, with its `user` `password_changed` event. */
export class AuditedPasswordChanges {
  readonly #changes: PasswordChanges;

  constructor(changes: PasswordChanges) {
    this.#changes = changes;
  }

  /** Success with `sessions_ended`; a refusal (a wrong current password, a weak new one) with its code. */
  async changePassword(
    userId: string,
    input: ChangePasswordInput,
    trail: AuditTrail,
  ): Promise<ChangedPassword> {
    try {
      const changed = await this.#changes.changePassword(userId, input);
      await trail.record({
        event: "user",
        action: "password_changed",
        outcome: "success",
        target: { type: "user", id: userId },
        details: { sessions_ended: changed.endedSessions },
      });
      return changed;
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "user",
          action: "password_changed",
          outcome: "failure",
          target: { type: "user", id: userId },
          details: { code: error.code },
        });
      }
      throw error;
    }
  }
}
