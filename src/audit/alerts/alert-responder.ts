import type { AuditedTokens } from "../../access/audited-tokens.ts";
import type { AuditedUsers } from "../../access/audited-users.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { AuditTrail } from "../audit-trail.ts";
import type { AlertResponseOutcome } from "./alert-notice.ts";
import type { FiredAlert } from "./fired-alert.ts";

export interface AlertResponderOptions {
  readonly tokens: Pick<TokenService, "list">;
  readonly auditedTokens: Pick<AuditedTokens, "revoke">;
  readonly auditedUsers: Pick<AuditedUsers, "update">;
  /** The system's trail: the revocation or block is recorded as the system's act. */
  readonly trail: AuditTrail;
}

/**
 * A rule's optional response: `suspend-token` revokes the token the alert is about (its subject
 * is the token's fingerprint, the actor id of its events); `lock-account` blocks the person (the
 * subject is their user id). Each is recorded by the audited service it goes through, as the
 * system's act; a response that cannot be taken (no subject, an unknown one, the last admin)
 * is reported as failed or skipped, never thrown.
 */
export class AlertResponder {
  readonly #options: AlertResponderOptions;

  constructor(options: AlertResponderOptions) {
    this.#options = options;
  }

  async respond(alert: FiredAlert): Promise<AlertResponseOutcome | null> {
    if (alert.response === undefined) return null;
    const subject = alert.subject ?? null;
    const outcome = (
      result: AlertResponseOutcome["outcome"],
      error: string | null = null,
    ): AlertResponseOutcome => ({
      action: alert.response ?? "",
      subject,
      outcome: result,
      error,
    });
    if (subject === null) return outcome("skipped", "the alert names no token or account to act on");
    try {
      if (alert.response === "suspend-token") {
        const token = (await this.#options.tokens.list()).find(
          (candidate) => candidate.fingerprint === subject,
        );
        if (token === undefined) return outcome("skipped", "no token has this fingerprint");
        if (token.revokedAt !== null) return outcome("skipped", "the token was revoked already");
        await this.#options.auditedTokens.revoke(token.id, this.#options.trail);
        return outcome("done");
      }
      await this.#options.auditedUsers.update(subject, { status: "blocked" }, this.#options.trail);
      return outcome("done");
    } catch (error) {
      return outcome("failed", error instanceof Error ? error.message : String(error));
    }
  }
}
