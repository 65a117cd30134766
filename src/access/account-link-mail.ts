import type { MailMessage } from "../mail/mailer.ts";

const PRODUCT = "PACKAGE.broker";

export interface AccountLinkMailInput {
  readonly purpose: "invitation" | "password-reset";
  /** The recipient's address. */
  readonly to: string;
  /** The link, token included. */
  readonly url: string;
  readonly expiresAt: string;
  /** The server's public URL, to say which server this is. */
  readonly baseUrl: string;
  /** The role an invitation gives. */
  readonly role?: string;
  /** Who invited or asked for the reset ("Ada Lovelace (ada@example.org)"); null: an administrator. */
  readonly sender: string | null;
}

/**
 * The e-mail that carries an invitation or a password-reset link: plain text and the same as
 * simple HTML, saying which server, who sent it, and until when the link works. Everything from
 * people (names, addresses) is escaped in the HTML.
 */
export function accountLinkMail(input: AccountLinkMailInput): MailMessage {
  const sender = input.sender ?? "An administrator";
  const expires = humanTime(input.expiresAt);
  const server = `${PRODUCT} at ${input.baseUrl}`;
  if (input.purpose === "invitation") {
    const role = input.role === undefined ? "" : ` with the role ${input.role}`;
    return message(input, `You are invited to ${PRODUCT}`, [
      `${sender} invited you to ${server}${role}.`,
      "Open this link to choose a password and create your account:",
      { url: input.url },
      `The link works once, until ${expires}. If you did not expect this invitation, you can ignore this message.`,
    ]);
  }
  return message(input, `Set a new password for ${PRODUCT}`, [
    `${sender} asked for a new password for your account on ${server}.`,
    "Open this link to choose it:",
    { url: input.url },
    `The link works once, until ${expires}. Setting the password signs you out everywhere. If you did not expect this, tell your administrator.`,
  ]);
}

type Paragraph = string | { readonly url: string };

function message(
  input: AccountLinkMailInput,
  subject: string,
  paragraphs: readonly Paragraph[],
): MailMessage {
  const text = paragraphs.map((p) => (typeof p === "string" ? p : p.url)).join("\n\n");
  const body = paragraphs
    .map((p) =>
      typeof p === "string"
        ? `<p>${escapeHtml(p)}</p>`
        : `<p><a href="${escapeHtml(p.url)}">${escapeHtml(p.url)}</a></p>`,
    )
    .join("\n");
  return {
    to: input.to,
    subject,
    text: `${text}\n\n-- \n${PRODUCT}\n`,
    html: `<!doctype html>\n<html><body>\n${body}\n<p>— ${PRODUCT}</p>\n</body></html>\n`,
  };
}

/** `2026-05-08T10:00:00.000Z` -> `2026-05-08 10:00 UTC`. */
function humanTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
