import type { Mailer } from "../mail/mailer.ts";
import type { UserRecord, UserRecords } from "../storage/database/user-records.ts";
import { accountLinkMail } from "./account-link-mail.ts";
import type { PublicAccountLink } from "./public-account-link.ts";

/** Whether the e-mail went out. The link is returned either way: the admin can pass it on. */
export type LinkDelivery =
  | { readonly status: "sent" }
  | { readonly status: "failed"; readonly error: string }
  | { readonly status: "not-configured" };

export interface DeliveryFailure {
  readonly linkId: string;
  readonly purpose: "invitation" | "password-reset";
  readonly error: string;
}

export interface LinkMail {
  readonly link: PublicAccountLink & { readonly purpose: "invitation" | "password-reset" };
  readonly url: string;
  readonly to: string;
  /** Who made the link (named in the mail); null: the console or the server. */
  readonly senderId: string | null;
}

/**
 * E-mails invitation and reset links, when a mailer is configured. A failure is reported (the
 * returned status, and `onFailed` for the log), never thrown: the link exists all the same.
 */
export class AccountLinkDelivery {
  readonly #mailer: Mailer | null;
  readonly #users: Pick<UserRecords, "findById">;
  readonly #baseUrl: string;
  readonly #onFailed: (failure: DeliveryFailure) => void;

  constructor(options: {
    mailer: Mailer | null;
    users: Pick<UserRecords, "findById">;
    baseUrl: string;
    onFailed?: (failure: DeliveryFailure) => void;
  }) {
    this.#mailer = options.mailer;
    this.#users = options.users;
    this.#baseUrl = options.baseUrl;
    this.#onFailed = options.onFailed ?? (() => undefined);
  }

  async deliver(mail: LinkMail): Promise<LinkDelivery> {
    if (this.#mailer === null) return { status: "not-configured" };
    const { link } = mail;
    try {
      const sender = mail.senderId === null ? null : await this.#users.findById(mail.senderId);
      await this.#mailer.send(
        accountLinkMail({
          purpose: link.purpose,
          to: mail.to,
          url: mail.url,
          expiresAt: link.expiresAt,
          baseUrl: this.#baseUrl,
          sender: sender === null ? null : describePerson(sender),
          ...(link.role === null ? {} : { role: link.role }),
        }),
      );
      return { status: "sent" };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#onFailed({ linkId: link.id, purpose: link.purpose, error: message });
      return { status: "failed", error: message };
    }
  }
}

/** "Ada Lovelace (ada@example.org)", or the address alone. */
function describePerson(user: UserRecord): string {
  return user.name === null ? user.email : `${user.name} (${user.email})`;
}
