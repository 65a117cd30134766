import type { AuditActor, AuditEventInput } from "../audit/audit-event.ts";
import type { AuditLog } from "../audit/audit-log.ts";
import { auditTrail, type AuditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { AccountLinkPurpose } from "../storage/database/account-link-records.ts";
import { AccountLinkRefused } from "./account-link-refused.ts";
import type { AcceptedLink, AcceptLinkInput, LinkDescription } from "./account-link-acceptance.ts";
import type { AccountLinks, CreatedLink, IssuedLink, PasswordResetRequest } from "./account-links.ts";
import type { PublicAccountLink } from "./public-account-link.ts";

/** The `user` action that records the use of each kind of link. */
const ACCEPT_ACTIONS: Readonly<Record<AccountLinkPurpose, string>> = {
  invitation: "invitation_accepted",
  setup: "setup_completed",
  "password-reset": "password_reset_completed",
};

/**
 * One-time links with their `user` audit events: what the API and the CLI call. Events name links
 * and users by id; never a token, a password or an e-mail address (the invited address is kept
 * with the audit subjects, under the link's id). A refusal is recorded with its error code, and
 * for a link that cannot be used, the real reason (`expired`, `used`…) the client is not told.
 */
export class AuditedAccountLinks {
  readonly #links: AccountLinks;
  readonly #log: AuditLog;

  /** `log`: a link's use is recorded with the new (or reset) user as the actor. */
  constructor(links: AccountLinks, log: AuditLog) {
    this.#links = links;
    this.#log = log;
  }

  /** `invitation_revoked` for each invitation it replaces, then `invited`. */
  async invite(
    input: { email: unknown; role: unknown; invitedBy: string | null },
    trail: AuditTrail,
  ): Promise<IssuedLink> {
    const issued = await this.#recorded(trail, "invited", { type: "account_link" }, () =>
      this.#links.invite(input),
    );
    for (const replaced of issued.replaced) await recordRevoked(trail, replaced, "replaced", issued.link.id);
    await trail.record({
      event: "user",
      action: "invited",
      outcome: "success",
      severity: issued.link.role === "admin" ? "warning" : "info",
      target: { type: "account_link", id: issued.link.id },
      details: {
        role: issued.link.role,
        expires_at: issued.link.expiresAt,
        delivery: issued.delivery.status,
        replaced: issued.replaced.map((link) => link.id),
      },
    });
    return issued;
  }

  async revokeInvitation(id: unknown, trail: AuditTrail): Promise<PublicAccountLink> {
    const revoked = await this.#recorded(trail, "invitation_revoked", { type: "account_link" }, () =>
      this.#links.revokeInvitation(id),
    );
    await recordRevoked(trail, revoked, "revoked", null);
    return revoked;
  }

  /** `setup_link_created` (severity warning: whoever opens it becomes an admin). */
  async createSetupLink(trail: AuditTrail): Promise<CreatedLink> {
    const created = await this.#recorded(trail, "setup_link_created", { type: "account_link" }, () =>
      this.#links.createSetupLink(),
    );
    await trail.record({
      event: "user",
      action: "setup_link_created",
      outcome: "success",
      severity: "warning",
      target: { type: "account_link", id: created.link.id },
      details: { expires_at: created.link.expiresAt, replaced: created.replaced.map((link) => link.id) },
    });
    return created;
  }

  /** `password_reset_requested` (severity warning: the link's holder can sign in as the user). */
  async requestPasswordReset(input: PasswordResetRequest, trail: AuditTrail): Promise<IssuedLink> {
    const issued = await this.#recorded(trail, "password_reset_requested", { type: "user" }, () =>
      this.#links.requestPasswordReset(input),
    );
    await trail.record({
      event: "user",
      action: "password_reset_requested",
      outcome: "success",
      severity: "warning",
      target: { type: "user", id: issued.link.userId ?? "" },
      details: {
        link: issued.link.id,
        expires_at: issued.link.expiresAt,
        delivery: issued.delivery.status,
        replaced: issued.replaced.map((link) => link.id),
      },
    });
    return issued;
  }

  /** Not recorded: it changes nothing (the page that asks for the password calls it). */
  async describe(token: unknown): Promise<LinkDescription> {
    return this.#links.describe(token);
  }

  async listInvitations(): Promise<PublicAccountLink[]> {
    return this.#links.listInvitations();
  }

  /**
   * `invitation_accepted`, `setup_completed` or `password_reset_completed`, with the user as the
   * actor (they hold no session yet: auth method `none`). A refusal is recorded under the link's
   * action with the trail's actor; a token that is no link at all as `link_invalid`.
   */
  async accept(token: unknown, input: AcceptLinkInput, trail: AuditTrail): Promise<AcceptedLink> {
    let accepted: AcceptedLink;
    try {
      accepted = await this.#links.accept(token, input);
    } catch (error) {
      if (error instanceof DomainError) await this.#recordRefusal(token, error, trail);
      throw error;
    }
    const actor: AuditActor = { type: "user", id: accepted.user.id, auth_method: "none" };
    const asUser = auditTrail(this.#log, { ...trail.context, actor });
    const privileged = accepted.user.role === "admin";
    await asUser.record({
      event: "user",
      action: ACCEPT_ACTIONS[accepted.purpose],
      outcome: "success",
      severity: privileged && accepted.purpose !== "password-reset" ? "warning" : "info",
      target: { type: "user", id: accepted.user.id },
      details:
        accepted.purpose === "password-reset"
          ? { link: accepted.link.id, sessions_ended: accepted.endedSessions }
          : { link: accepted.link.id, role: accepted.user.role, created_by: accepted.link.createdBy },
    });
    return accepted;
  }

  async #recordRefusal(token: unknown, error: DomainError, trail: AuditTrail): Promise<void> {
    const link =
      error instanceof AccountLinkRefused
        ? error.link === null
          ? null
          : { id: error.link.id, purpose: error.link.purpose }
        : await this.#links.identify(token);
    const details =
      error instanceof AccountLinkRefused ? { code: error.code, reason: error.reason } : { code: error.code };
    await trail.record({
      event: "user",
      action: link === null ? "link_invalid" : ACCEPT_ACTIONS[link.purpose],
      outcome: "failure",
      target: link === null ? { type: "account_link" } : { type: "account_link", id: link.id },
      details,
    });
  }

  /** Runs `work`; a refusal (DomainError) is recorded as `action` failing with its code, and thrown. */
  async #recorded<T>(
    trail: AuditTrail,
    action: string,
    target: NonNullable<AuditEventInput["target"]>,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "user",
          action,
          outcome: "failure",
          target,
          details: { code: error.code },
        });
      }
      throw error;
    }
  }
}

async function recordRevoked(
  trail: AuditTrail,
  link: PublicAccountLink,
  reason: "replaced" | "revoked",
  replacedBy: string | null,
): Promise<void> {
  await trail.record({
    event: "user",
    action: "invitation_revoked",
    outcome: "success",
    target: { type: "account_link", id: link.id },
    details: reason === "replaced" ? { reason, replaced_by: replacedBy } : { reason },
  });
}
