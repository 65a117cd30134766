/** One e-mail: a plain-text body and the same content as simple HTML. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/**
 * Sends e-mail (the SMTP adapter is `SmtpMailer`). `send` resolves once the mail server has
 * accepted the message, and rejects with the reason when it did not.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Closes open connections; sends after it are refused. */
  close(): void;
}
