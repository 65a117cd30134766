import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/free-port.ts";
import { SmtpTestServer } from "../../test/support/smtp-test-server.ts";
import { createTestDatabase } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { SmtpMailer } from "../mail/smtp-mailer.ts";
import { AccountStores } from "../storage/database/account-stores.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import type { DeliveryFailure } from "./account-link-delivery.ts";
import { AccountLinks } from "./account-links.ts";

/** Invitations and resets e-mailed through a real SMTP server on a loopback port. */
describe("AccountLinks with SMTP", () => {
  let handle: DatabaseHandle | undefined;
  let server: SmtpTestServer | undefined;
  let mailer: SmtpMailer | undefined;
  afterEach(async () => {
    mailer?.close();
    await server?.stop();
    await handle?.close();
    mailer = undefined;
    server = undefined;
    handle = undefined;
  });

  async function open(
    url: string,
  ): Promise<{ links: AccountLinks; stores: AccountStores; failures: DeliveryFailure[] }> {
    handle = await createTestDatabase("sqlite");
    const stores = new AccountStores(handle.db);
    await stores.users.insert({
      id: "usr_ada",
      email: "ada@example.org",
      name: "Ada Lovelace",
      role: "admin",
      passwordHash: null,
      createdAt: "2026-04-01T00:00:00.000Z",
    });
    mailer = new SmtpMailer({ url, from: "PACKAGE.broker <broker@example.org>", timeoutMs: 3000 });
    const failures: DeliveryFailure[] = [];
    const links = new AccountLinks({
      stores,
      clock: new ManualClock("2026-05-01T10:00:00.000Z"),
      baseUrl: "https://composer.example.com",
      mailer,
      subjects: { register: () => Promise.resolve() },
      onDeliveryFailed: (failure) => failures.push(failure),
    });
    return { links, stores, failures };
  }

  it("e-mails an invitation: to the invited address, naming who invited, with the link and its end", async () => {
    server = await SmtpTestServer.start({ credentials: { user: "broker", password: "s3cret" } });
    const { links, failures } = await open(server.url({ user: "broker", password: "s3cret" }));
    const invited = await links.invite({
      email: "Eve@Example.org",
      role: "maintainer",
      invitedBy: "usr_ada",
    });
    expect(invited.delivery).toEqual({ status: "sent" });
    expect(failures).toEqual([]);
    expect(server.messages).toHaveLength(1);
    const mail = server.messages[0];
    expect(mail).toMatchObject({
      envelopeFrom: "broker@example.org",
      envelopeTo: ["eve@example.org"],
      from: '"PACKAGE.broker" <broker@example.org>',
      to: "eve@example.org",
      subject: "You are invited to PACKAGE.broker",
      user: "broker",
    });
    expect(mail?.text).toContain(invited.url);
    expect(mail?.text).toContain(
      "Ada Lovelace (ada@example.org) invited you to PACKAGE.broker at https://composer.example.com",
    );
    expect(mail?.text).toContain("with the role maintainer");
    expect(mail?.text).toContain("until 2026-05-08 10:00 UTC");
    expect(mail?.html).toContain(`href="${invited.url}"`);
  });

  it("e-mails a password reset to the user's address", async () => {
    server = await SmtpTestServer.start();
    const { links, stores } = await open(server.url());
    await stores.users.insert({
      id: "usr_bob",
      email: "bob@example.org",
      name: null,
      role: "viewer",
      passwordHash: null,
      createdAt: "2026-04-01T00:00:00.000Z",
    });
    const reset = await links.requestPasswordReset({ userId: "usr_bob", requestedBy: null });
    expect(reset.delivery).toEqual({ status: "sent" });
    expect(server.messages.map((mail) => [mail.to, mail.subject])).toEqual([
      ["bob@example.org", "Set a new password for PACKAGE.broker"],
    ]);
    expect(server.messages[0]?.text).toContain(reset.url);
    expect(server.messages[0]?.text).toContain("An administrator asked for a new password");
  });

  it("keeps the invitation when the server refuses the message, and says why", async () => {
    server = await SmtpTestServer.start({ refuseRecipients: true });
    const { links, failures } = await open(server.url());
    const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: "usr_ada" });
    expect(invited.delivery).toMatchObject({
      status: "failed",
      error: expect.stringContaining("550") as unknown,
    });
    expect(failures).toEqual([
      {
        linkId: invited.link.id,
        purpose: "invitation",
        error: (invited.delivery as { error: string }).error,
      },
    ]);
    const token = invited.url.slice(invited.url.indexOf("#") + 1);
    expect((await links.describe(token)).email).toBe("eve@example.org");
    expect(await links.listInvitations()).toEqual([invited.link]);
  });

  it("keeps the invitation when no mail server answers", async () => {
    const { links, failures } = await open(`smtp://127.0.0.1:${await freePort()}`);
    const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
    expect(invited.delivery).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/ECONNREFUSED/) as unknown,
    });
    expect(failures).toHaveLength(1);
    expect(invited.link.status).toBe("open");
  });
});
