import type { AddressInfo } from "node:net";
import { simpleParser, type AddressObject } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A message as the test server received and parsed it. */
export interface ReceivedMail {
  /** The SMTP envelope: MAIL FROM and RCPT TO. */
  readonly envelopeFrom: string | null;
  readonly envelopeTo: readonly string[];
  /** The headers and bodies, decoded. */
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Who signed in (AUTH), if anyone. */
  readonly user: string | null;
}

export interface SmtpTestServerOptions {
  /** Require AUTH with these credentials (over plain SMTP: a loopback test). */
  readonly credentials?: { readonly user: string; readonly password: string };
  /** Refuse every recipient with 550, as a server does for an unknown mailbox. */
  readonly refuseRecipients?: boolean;
}

/** A real SMTP server (the `smtp-server` package) on a loopback port that keeps what it receives. */
export class SmtpTestServer {
  /** What it received so far, in order. */
  readonly messages: ReceivedMail[];
  readonly #server: SMTPServer;
  readonly #port: number;

  private constructor(server: SMTPServer, port: number, messages: ReceivedMail[]) {
    this.#server = server;
    this.#port = port;
    this.messages = messages;
  }

  static async start(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
    const messages: ReceivedMail[] = [];
    const credentials = options.credentials;
    const server = new SMTPServer({
      disabledCommands: credentials === undefined ? ["STARTTLS", "AUTH"] : ["STARTTLS"],
      authOptional: credentials === undefined,
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (
          credentials !== undefined &&
          auth.username === credentials.user &&
          auth.password === credentials.password
        ) {
          callback(null, { user: auth.username });
        } else {
          callback(Object.assign(new Error("Authentication failed"), { responseCode: 535 }));
        }
      },
      onRcptTo: (address, _session, callback) => {
        if (options.refuseRecipients === true) {
          callback(
            Object.assign(new Error(`mailbox unavailable: ${address.address}`), { responseCode: 550 }),
          );
        } else {
          callback();
        }
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            messages.push({
              envelopeFrom: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address,
              envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              from: addressText(parsed.from),
              to: addressText(parsed.to),
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : "",
              user: typeof session.user === "string" ? session.user : null,
            });
            callback();
          })
          .catch((error: unknown) => {
            callback(error instanceof Error ? error : new Error(String(error)));
          });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        resolve();
      });
    });
    const port = (server.server.address() as AddressInfo).port;
    return new SmtpTestServer(server, port, messages);
  }

  /** `smtp://[user:password@]127.0.0.1:PORT`. */
  url(credentials?: { user: string; password: string }): string {
    const auth =
      credentials === undefined
        ? ""
        : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`;
    return `smtp://${auth}127.0.0.1:${this.#port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}

function addressText(address: AddressObject | AddressObject[] | undefined): string {
  if (address === undefined) return "";
  return (Array.isArray(address) ? address : [address]).map((one) => one.text).join(", ");
}
