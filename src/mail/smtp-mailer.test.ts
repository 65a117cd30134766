import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/free-port.ts";
import { SmtpTestServer } from "../../test/support/smtp-test-server.ts";
import { SmtpMailer } from "./smtp-mailer.ts";

const message = {
  to: "eve@example.org",
  subject: "Größe: an invitation",
  text: `Open this link: http://broker.test/invite#${"x".repeat(43)}\n`,
  html: `<p><a href="http://broker.test/invite#${"x".repeat(43)}">Open</a></p>`,
};

describe("SmtpMailer", () => {
  let server: SmtpTestServer | undefined;
  let mailer: SmtpMailer | undefined;
  afterEach(async () => {
    mailer?.close();
    await server?.stop();
    server = undefined;
    mailer = undefined;
  });

  it("delivers a message with the From of the settings, signing in with the URL's credentials", async () => {
    const credentials = { user: "broker", password: "p@ss:word/1" };
    server = await SmtpTestServer.start({ credentials });
    mailer = new SmtpMailer({ url: server.url(credentials), from: "PACKAGE.broker <broker@example.org>" });
    await mailer.send(message);
    expect(server.messages).toEqual([
      {
        envelopeFrom: "broker@example.org",
        envelopeTo: ["eve@example.org"],
        from: '"PACKAGE.broker" <broker@example.org>',
        to: "eve@example.org",
        subject: "Größe: an invitation",
        text: message.text,
        html: message.html,
        user: "broker",
      },
    ]);
  });

  it("rejects with the server's reason when it refuses the recipient, or the credentials", async () => {
    server = await SmtpTestServer.start({ refuseRecipients: true });
    mailer = new SmtpMailer({ url: server.url(), from: "broker@example.org" });
    await expect(mailer.send(message)).rejects.toThrow(/550/);
    mailer.close();
    await server.stop();

    server = await SmtpTestServer.start({ credentials: { user: "broker", password: "right" } });
    mailer = new SmtpMailer({
      url: server.url({ user: "broker", password: "wrong" }),
      from: "broker@example.org",
    });
    await expect(mailer.send(message)).rejects.toThrow(/535|Invalid login/);
    expect(server.messages).toEqual([]);
  });

  it("rejects when no server listens", async () => {
    const port = await freePort();
    mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${port}`, from: "broker@example.org", timeoutMs: 2000 });
    await expect(mailer.send(message)).rejects.toThrow(/ECONNREFUSED/);
  });
});
