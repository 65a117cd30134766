import { DomainError } from "../errors/domain-error.ts";
import type { AccountLinkRecord } from "../storage/database/account-link-records.ts";

/** Why a link was refused. For the audit log only: clients see one code and message for all. */
export type AccountLinkRefusalReason =
  | "malformed"
  | "unknown"
  | "expired"
  | "used"
  | "revoked"
  /** A password reset for a user who is gone (deleted). */
  | "user-gone";

export const LINK_INVALID_MESSAGE =
  "This link is not valid: it may have expired, been used already, or been replaced by a newer one.";

/**
 * A one-time link that cannot be used: 404 `LinkInvalid`, whatever the reason, so that a link
 * tells nobody whether it ever existed or what became of it. The reason and the link are fields
 * of their own, not `extensions`, so they reach the audit log and never a response.
 */
export class AccountLinkRefused extends DomainError {
  readonly reason: AccountLinkRefusalReason;
  /** The stored link, when the token matched one. */
  readonly link: AccountLinkRecord | null;

  constructor(reason: AccountLinkRefusalReason, link: AccountLinkRecord | null) {
    super("not-found", "LinkInvalid", LINK_INVALID_MESSAGE);
    this.reason = reason;
    this.link = link;
  }
}
