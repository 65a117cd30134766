import type { AuditSubjects } from "../audit/privacy/audit-subjects.ts";
import type { Clock } from "../clock/clock.ts";
import { invalidInput } from "../errors/domain-error.ts";
import { newId } from "../ids/new-id.ts";
import type { AccountLinkPurpose, AccountLinkRecord } from "../storage/database/account-link-records.ts";
import type { AccountStores } from "../storage/database/account-stores.ts";
import type { UserRecord } from "../storage/database/user-records.ts";
import { adminExists, userExists } from "./account-conflicts.ts";
import { AccountLinkRefused } from "./account-link-refused.ts";
import { accountLinkTokenHash } from "./account-link-token.ts";
import { normaliseEmail } from "./email-address.ts";
import { hashNewPassword } from "./hash-new-password.ts";
import { linkStatus, toPublicAccountLink, type PublicAccountLink } from "./public-account-link.ts";
import { parseName, toPublicUser, type PublicUser } from "./user-service.ts";
import { parseUserRole, type UserRole } from "./user-role.ts";

/** What a link is for, shown before it is used (the page that asks for the password). */
export interface LinkDescription {
  readonly purpose: AccountLinkPurpose;
  /** The invited address or the account's; null for a setup link (the person chooses it). */
  readonly email: string | null;
  readonly role: UserRole | null;
  readonly expiresAt: string;
}

export interface AcceptLinkInput {
  readonly password: unknown;
  /** A display name (invitation and setup). */
  readonly name?: unknown;
  /** The address of the first admin (setup); for an invitation, if given, it must be the invited one. */
  readonly email?: unknown;
}

export interface AcceptedLink {
  readonly purpose: AccountLinkPurpose;
  readonly link: PublicAccountLink;
  /** The user created (invitation, setup) or whose password was set (reset). */
  readonly user: PublicUser;
  /** Sessions ended by a password reset. */
  readonly endedSessions: number;
}

/**
 * The using side of one-time links (`AccountLinks` issues them and delegates here): describing a
 * link, and using it. Every link that cannot be used is an `AccountLinkRefused` (`LinkInvalid`).
 * Using a link and its effect are one transaction: of two uses racing, exactly one wins, and a
 * use whose effect fails leaves the link usable.
 */
export class AccountLinkAcceptance {
  readonly #stores: AccountStores;
  readonly #subjects: Pick<AuditSubjects, "register">;
  readonly #clock: Clock;

  constructor(options: { stores: AccountStores; subjects: Pick<AuditSubjects, "register">; clock: Clock }) {
    this.#stores = options.stores;
    this.#subjects = options.subjects;
    this.#clock = options.clock;
  }

  /**
   * What a usable link is for, without using it. `LinkInvalid` for any link that cannot be used;
   * `AdminExists` for a setup link once an admin exists; `UserExists` for an invitation whose
   * address got an account meanwhile.
   */
  async describe(token: unknown): Promise<LinkDescription> {
    const link = await this.#usableLink(token);
    if (link.purpose === "setup" && (await this.#hasActiveAdmin())) throw adminExists();
    if (link.purpose === "invitation" && (await this.#stores.users.findByEmail(link.email ?? "")) !== null) {
      throw userExists();
    }
    if (link.purpose === "password-reset") await this.#resetUser(link);
    return {
      purpose: link.purpose,
      email: link.email,
      role: link.role === null ? null : parseUserRole(link.role),
      expiresAt: link.expiresAt,
    };
  }

  /**
   * Which stored link a token is, whatever its state, or null: for the audit log, which records
   * refusals by link. Clients are never told.
   */
  async identify(
    token: unknown,
  ): Promise<{ readonly id: string; readonly purpose: AccountLinkPurpose } | null> {
    const hash = accountLinkTokenHash(token);
    const link = hash === null ? null : await this.#stores.links.findByTokenHash(hash);
    return link === null ? null : { id: link.id, purpose: link.purpose };
  }

  /**
   * Uses a link: creates the invited user (the invited address and role) or the first admin (the
   * address given), or sets the user's new password and ends all their sessions. The password
   * must pass the policy (`WeakPassword`). The link is marked used in the same transaction: if
   * the change fails (`UserExists` when the address got an account meanwhile, `AdminExists`), the
   * link stays usable; of two uses racing, one wins and the other gets `LinkInvalid`.
   */
  async accept(token: unknown, given: AcceptLinkInput): Promise<AcceptedLink> {
    const link = await this.#usableLink(token);
    const input = fieldsOf(given);
    switch (link.purpose) {
      case "invitation":
        return this.#acceptNewUser(link, link.email ?? "", parseUserRole(link.role), input);
      case "setup":
        return this.#acceptNewUser(link, normaliseEmail(input.email), "admin", input);
      case "password-reset":
        return this.#acceptReset(link, input);
    }
  }

  async #acceptNewUser(
    link: AccountLinkRecord,
    email: string,
    role: UserRole,
    input: AcceptLinkInput,
  ): Promise<AcceptedLink> {
    if (link.purpose === "invitation" && input.email !== undefined && input.email !== null) {
      if (normaliseEmail(input.email) !== email) {
        throw invalidInput("EmailMismatch", "this invitation is for another e-mail address", {
          field: "email",
        });
      }
    }
    const name = parseName(input.name);
    const passwordHash = await hashNewPassword(input.password, { email, ...(name === null ? {} : { name }) });
    const now = this.#clock.now();
    const at = now.toISOString();
    const created = await this.#stores.transaction(async ({ links, users }) => {
      const used = await links.claim(link.tokenHash, at);
      if (used === null) return null;
      if (link.purpose === "setup") {
        if ((await users.countActiveAdmins()) > 0) throw adminExists();
        await links.revokeOpen("setup", "all", at);
      }
      const user = await users.insert({
        id: `usr_${newId()}`,
        email,
        name,
        role,
        passwordHash,
        createdAt: at,
      });
      if (user === null) throw userExists();
      return { used, user };
    });
    if (created === null) throw await this.#refusal(link.tokenHash);
    await this.#subjects.register(created.user.id, { email, name });
    return {
      purpose: link.purpose,
      link: toPublicAccountLink(created.used, now),
      user: toPublicUser(created.user),
      endedSessions: 0,
    };
  }

  async #acceptReset(link: AccountLinkRecord, input: AcceptLinkInput): Promise<AcceptedLink> {
    const user = await this.#resetUser(link);
    const passwordHash = await hashNewPassword(input.password, {
      email: user.email,
      ...(user.name === null ? {} : { name: user.name }),
    });
    const now = this.#clock.now();
    const at = now.toISOString();
    const changed = await this.#stores.transaction(async ({ links, users, sessions }) => {
      const used = await links.claim(link.tokenHash, at);
      if (used === null) return null;
      const updated = await users.update(user.id, { passwordHash, passwordChangedAt: at }, at);
      if (updated === null) throw new AccountLinkRefused("user-gone", link);
      return { used, updated, endedSessions: await sessions.deleteAllForUser(user.id) };
    });
    if (changed === null) throw await this.#refusal(link.tokenHash);
    return {
      purpose: link.purpose,
      link: toPublicAccountLink(changed.used, now),
      user: toPublicUser(changed.updated),
      endedSessions: changed.endedSessions,
    };
  }

  /** The user a reset link is for; `LinkInvalid` (user-gone) when they were deleted meanwhile. */
  async #resetUser(link: AccountLinkRecord): Promise<UserRecord> {
    const user = link.userId === null ? null : await this.#stores.users.findById(link.userId);
    if (user === null) throw new AccountLinkRefused("user-gone", link);
    return user;
  }

  /** The link of a token if it can be used now; otherwise `AccountLinkRefused` with the reason. */
  async #usableLink(token: unknown): Promise<AccountLinkRecord> {
    const hash = accountLinkTokenHash(token);
    if (hash === null) throw new AccountLinkRefused("malformed", null);
    const link = await this.#stores.links.findByTokenHash(hash);
    if (link === null) throw new AccountLinkRefused("unknown", null);
    const status = linkStatus(link, this.#clock.now());
    if (status !== "open") throw new AccountLinkRefused(status, link);
    return link;
  }

  /** Why a link that was usable a moment ago could not be claimed (another use won, mostly). */
  async #refusal(tokenHash: string): Promise<AccountLinkRefused> {
    const link = await this.#stores.links.findByTokenHash(tokenHash);
    if (link === null) return new AccountLinkRefused("unknown", null);
    const status = linkStatus(link, this.#clock.now());
    return new AccountLinkRefused(status === "open" ? "used" : status, link);
  }

  async #hasActiveAdmin(): Promise<boolean> {
    return (await this.#stores.users.countActiveAdmins()) > 0;
  }
}

/** A client's body as fields: anything but an object (null, an array, a string) has none. */
function fieldsOf(input: unknown): AcceptLinkInput {
  return typeof input === "object" && input !== null && !Array.isArray(input)
    ? (input as AcceptLinkInput)
    : { password: undefined };
}
