import { createTransport, type Transporter } from "nodemailer";
import type { MailMessage, Mailer } from "./mailer.ts";

export interface SmtpMailerOptions {
  /** `smtp://` (STARTTLS when the server offers it) or `smtps://` (TLS), user:password@host:port. */
  readonly url: string;
  /** The From header: `address` or `Name <address>`. */
  readonly from: string;
  /** Gives up on a server that does not answer (connection, greeting, silence), in ms. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Mail through an SMTP server (nodemailer). A connection per message: links are sent seldom, and
 * no idle connection is held open. Messages carry no attachments, and nodemailer is told never
 * to read files or fetch URLs named in a message.
 */
export class SmtpMailer implements Mailer {
  readonly #transport: Transporter;

  constructor(options: SmtpMailerOptions) {
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#transport = createTransport(
      {
        url: options.url,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        disableFileAccess: true,
        disableUrlAccess: true,
      },
      { from: options.from },
    );
  }

  async send(message: MailMessage): Promise<void> {
    await this.#transport.sendMail({
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  close(): void {
    this.#transport.close();
  }
}
