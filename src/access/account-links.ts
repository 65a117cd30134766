import type { AuditSubjects } from "../audit/privacy/audit-subjects.ts";
import type { Clock } from "../clock/clock.ts";
import { conflict, invalidInput, notFound, type DomainError } from "../errors/domain-error.ts";
import { newId } from "../ids/new-id.ts";
import type { Mailer } from "../mail/mailer.ts";
import type {
  AccountLinkPurpose,
  AccountLinkRecord,
  OpenLinkMatch,
} from "../storage/database/account-link-records.ts";
import type { AccountStores } from "../storage/database/account-stores.ts";
import type { UserRecord } from "../storage/database/user-records.ts";
import { AccountLinkDelivery, type DeliveryFailure, type LinkDelivery } from "./account-link-delivery.ts";
import {
  AccountLinkAcceptance,
  type AcceptedLink,
  type AcceptLinkInput,
  type LinkDescription,
} from "./account-link-acceptance.ts";
import { adminExists, userExists } from "./account-conflicts.ts";
import { newAccountLinkToken } from "./account-link-token.ts";
import { accountLinkUrl } from "./account-link-url.ts";
import { normaliseEmail } from "./email-address.ts";
import { linkStatus, toPublicAccountLink, type PublicAccountLink } from "./public-account-link.ts";
import { parseUserRole } from "./user-role.ts";

export interface AccountLinkLifetimes {
  readonly invitationMs: number;
  readonly setupMs: number;
  readonly passwordResetMs: number;
}

export const DEFAULT_ACCOUNT_LINK_LIFETIMES: AccountLinkLifetimes = Object.freeze({
  invitationMs: 7 * 24 * 3_600_000,
  setupMs: 24 * 3_600_000,
  passwordResetMs: 24 * 3_600_000,
});

export interface CreatedLink {
  readonly link: PublicAccountLink;
  /** The link to open, token included. Shown once: only the token's hash is stored. */
  readonly url: string;
  /** Earlier open links this one replaced (revoked). */
  readonly replaced: readonly PublicAccountLink[];
}

export interface IssuedLink extends CreatedLink {
  readonly delivery: LinkDelivery;
}

/** Whose password to reset (by id, or by e-mail address at the console), and who asks. */
export type PasswordResetRequest = { readonly requestedBy: string | null } & (
  | { readonly userId: unknown; readonly email?: undefined }
  | { readonly email: unknown; readonly userId?: undefined }
);

export interface AccountLinksOptions {
  readonly stores: AccountStores;
  readonly subjects: Pick<AuditSubjects, "register">;
  readonly clock: Clock;
  /** The public base URL (no trailing slash), which links start with. */
  readonly baseUrl: string;
  /** Null: e-mail is not configured, links are only returned. */
  readonly mailer: Mailer | null;
  readonly lifetimes?: AccountLinkLifetimes;
  /** Told of every e-mail that could not be sent (the runtime logs a warning). */
  readonly onDeliveryFailed?: (failure: DeliveryFailure) => void;
}

/**
 * Attempts at storing a link while others for the same address are stored at the same moment:
 * each round, at least one of the racing requests wins, so this is how many may race.
 */
const INSERT_ATTEMPTS = 8;

/**
 * One-time links to an account: invitations, the first-run setup link and admin-initiated
 * password resets. A link is `${baseUrl}${path}#${token}`; the token is 32 random bytes, only its
 * SHA-256 is stored. Using a link and its effect (the new user, the new password and the end of
 * the user's sessions) are one transaction, and of two uses racing, exactly one wins. Every link
 * that cannot be used, whatever the reason, is one error: `LinkInvalid` (404).
 */
export class AccountLinks {
  readonly #stores: AccountStores;
  readonly #subjects: Pick<AuditSubjects, "register">;
  readonly #clock: Clock;
  readonly #baseUrl: string;
  readonly #delivery: AccountLinkDelivery;
  readonly #lifetimes: AccountLinkLifetimes;
  readonly #acceptance: AccountLinkAcceptance;

  constructor(options: AccountLinksOptions) {
    const lifetimes = options.lifetimes ?? DEFAULT_ACCOUNT_LINK_LIFETIMES;
    if (!Object.values(lifetimes).every((ms) => Number.isSafeInteger(ms) && ms > 0)) {
      throw new RangeError("account link lifetimes must be positive integers of milliseconds");
    }
    this.#stores = options.stores;
    this.#subjects = options.subjects;
    this.#clock = options.clock;
    this.#baseUrl = options.baseUrl;
    this.#lifetimes = lifetimes;
    this.#acceptance = new AccountLinkAcceptance(options);
    this.#delivery = new AccountLinkDelivery({
      mailer: options.mailer,
      users: options.stores.users,
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      ...(options.onDeliveryFailed === undefined ? {} : { onFailed: options.onDeliveryFailed }),
    });
  }

  /**
   * Invites a person: a link that creates their account with this role once they choose a
   * password (7 days by default). Refused for an address that already has a user (409
   * `UserExists`); an earlier open invitation for the address is revoked (`replaced`). The link
   * is e-mailed when a mailer is configured, and returned in any case.
   */
  async invite(input: { email: unknown; role: unknown; invitedBy: string | null }): Promise<IssuedLink> {
    const email = normaliseEmail(input.email);
    const role = parseUserRole(input.role);
    if ((await this.#stores.users.findByEmail(email)) !== null) throw userExists();
    const created = await this.#create(
      { purpose: "invitation", email, role, userId: null, createdBy: input.invitedBy },
      { email },
      this.#lifetimes.invitationMs,
    );
    // The address belongs with the audit subjects, keyed by the link (events name only its id).
    await this.#subjects.register(created.link.id, { email, name: null });
    return { ...created, delivery: await this.#deliver(created, email) };
  }

  /**
   * The first-run link that creates the first admin (24 hours by default): only while no active
   * admin exists (409 `AdminExists`). It replaces every earlier open setup link.
   */
  async createSetupLink(): Promise<CreatedLink> {
    if (await this.#hasActiveAdmin()) throw adminExists();
    return this.#create(
      { purpose: "setup", email: null, role: "admin", userId: null, createdBy: null },
      "all",
      this.#lifetimes.setupMs,
    );
  }

  /**
   * An admin's password reset for a user (24 hours by default), replacing the user's earlier
   * open reset links. A blocked user may get one: the password is set, and they stay blocked.
   * Using it sets the password and ends all the user's sessions.
   */
  async requestPasswordReset(input: PasswordResetRequest): Promise<IssuedLink> {
    const user = await this.#resetTarget(input);
    const created = await this.#create(
      {
        purpose: "password-reset",
        email: user.email,
        role: null,
        userId: user.id,
        createdBy: input.requestedBy,
      },
      // By address: it also revokes a stale link of a deleted user who had the same address.
      { email: user.email },
      this.#lifetimes.passwordResetMs,
    );
    return { ...created, delivery: await this.#deliver(created, user.email) };
  }

  /** The user a reset is asked for, by id or by e-mail address (exactly one of them). */
  async #resetTarget(input: PasswordResetRequest): Promise<UserRecord> {
    const { userId, email } = input;
    if ((userId === undefined) === (email === undefined)) {
      throw invalidInput("UserReferenceRequired", "name the user by id or by e-mail address (one of them)");
    }
    if (userId !== undefined) {
      const user = typeof userId === "string" ? await this.#stores.users.findById(userId) : null;
      if (user === null) throw notFound("UserNotFound", "no user has this id");
      return user;
    }
    const user = await this.#stores.users.findByEmail(normaliseEmail(email));
    if (user === null) throw notFound("UserNotFound", "no user has this e-mail address");
    return user;
  }

  /** The open invitations (not used, revoked or expired), oldest first. */
  async listInvitations(): Promise<PublicAccountLink[]> {
    const now = this.#clock.now();
    return (await this.#stores.links.listUsable("invitation", now.toISOString())).map((record) =>
      toPublicAccountLink(record, now),
    );
  }

  /**
   * Revokes an open invitation. `InvitationNotFound` (404) for an id that is no invitation;
   * `InvitationClosed` (409) for one accepted or revoked already. An expired one may be revoked.
   */
  async revokeInvitation(id: unknown): Promise<PublicAccountLink> {
    if (typeof id !== "string" || !/^lnk_[0-9A-Z]{26}$/.test(id)) throw invitationNotFound();
    const now = this.#clock.now();
    const revoked = await this.#stores.links.revoke(id, "invitation", now.toISOString());
    if (revoked !== null) return toPublicAccountLink(revoked, now);
    const existing = await this.#stores.links.findById(id);
    if (existing?.purpose !== "invitation") throw invitationNotFound();
    throw conflict("InvitationClosed", `this invitation was ${linkStatus(existing, now)} already`);
  }

  /**
   * What a usable link is for, without using it. `LinkInvalid` for any link that cannot be used;
   * `AdminExists` for a setup link once an admin exists; `UserExists` for an invitation whose
   * address got an account meanwhile.
   */
  async describe(token: unknown): Promise<LinkDescription> {
    return this.#acceptance.describe(token);
  }

  /** Which stored link a token is, whatever its state, or null: for the audit log only. */
  async identify(
    token: unknown,
  ): Promise<{ readonly id: string; readonly purpose: AccountLinkPurpose } | null> {
    return this.#acceptance.identify(token);
  }

  /**
   * Uses a link: creates the invited user or the first admin, or sets the user's new password
   * and ends all their sessions (see `AccountLinkAcceptance.accept`).
   */
  async accept(token: unknown, input: AcceptLinkInput): Promise<AcceptedLink> {
    return this.#acceptance.accept(token, input);
  }

  /**
   * Stores a new link after revoking the open ones it replaces, in one transaction. Should another
   * link for the same address be stored at the same moment (the unique index refuses this one),
   * the next attempt revokes that one in turn: the last link made is the one that works.
   */
  async #create(
    fields: Pick<AccountLinkRecord, "purpose" | "email" | "role" | "userId" | "createdBy">,
    replaces: OpenLinkMatch,
    lifetimeMs: number,
  ): Promise<CreatedLink> {
    for (let attempt = 1; attempt <= INSERT_ATTEMPTS; attempt++) {
      const { token, hash } = newAccountLinkToken();
      const now = this.#clock.now();
      const record: AccountLinkRecord = {
        ...fields,
        id: `lnk_${newId()}`,
        tokenHash: hash,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + lifetimeMs).toISOString(),
        usedAt: null,
        revokedAt: null,
      };
      const replaced = await this.#stores.transaction(async ({ links }) => {
        const revoked = await links.revokeOpen(fields.purpose, replaces, record.createdAt);
        return (await links.insert(record)) ? revoked : null;
      });
      if (replaced !== null) {
        return {
          link: toPublicAccountLink(record, now),
          url: accountLinkUrl(this.#baseUrl, fields.purpose, token),
          replaced: replaced.map((link) => toPublicAccountLink(link, now)),
        };
      }
    }
    throw conflict(
      "LinkConflict",
      "another link for this address was being made at the same moment; try again",
    );
  }

  async #deliver(created: CreatedLink, to: string): Promise<LinkDelivery> {
    const { link } = created;
    if (link.purpose === "setup") return { status: "not-configured" };
    return this.#delivery.deliver({
      link: { ...link, purpose: link.purpose },
      url: created.url,
      to,
      senderId: link.createdBy,
    });
  }

  async #hasActiveAdmin(): Promise<boolean> {
    return (await this.#stores.users.countActiveAdmins()) > 0;
  }
}

function invitationNotFound(): DomainError {
  return notFound("InvitationNotFound", "no invitation has this id");
}
