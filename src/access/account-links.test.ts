import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import type { Mailer, MailMessage } from "../mail/mailer.ts";
import { AccountStores } from "../storage/database/account-stores.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { AccountLinkRefused } from "./account-link-refused.ts";
import { AccountLinks, type AccountLinksOptions } from "./account-links.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";

const PASSWORD = "a long and quiet river 42";
const DAY = 24 * 3_600_000;

/** The token in a link's fragment. */
function tokenOf(url: string): string {
  return url.slice(url.indexOf("#") + 1);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describe.each(testEngines())("AccountLinks on %s", (engine) => {
  let handle: DatabaseHandle;
  afterEach(async () => {
    await handle.close();
  });

  interface Setup {
    links: AccountLinks;
    stores: AccountStores;
    clock: ManualClock;
    registered: unknown[];
    sent: MailMessage[];
  }

  async function open(options: Partial<AccountLinksOptions> = {}): Promise<Setup> {
    handle = await createTestDatabase(engine);
    const stores = new AccountStores(handle.db);
    const clock = new ManualClock("2026-05-01T10:00:00.000Z");
    const registered: unknown[] = [];
    const sent: MailMessage[] = [];
    const links = new AccountLinks({
      stores,
      clock,
      baseUrl: "https://composer.example.com/broker/",
      mailer: null,
      subjects: {
        register: (id, person) => {
          registered.push({ id, ...person });
          return Promise.resolve();
        },
      },
      ...options,
    });
    return { links, stores, clock, registered, sent };
  }

  /** A user stored directly (an admin who invites, a person who forgot their password). */
  async function storeUser(
    stores: AccountStores,
    email: string,
    role = "viewer",
    password: string | null = null,
  ): Promise<string> {
    const id = `usr_${email.slice(0, email.indexOf("@"))}`;
    await stores.users.insert({
      id,
      email,
      name: null,
      role,
      passwordHash: password === null ? null : await hashPassword(password),
      createdAt: "2026-04-01T00:00:00.000Z",
    });
    return id;
  }

  async function refusal(promise: Promise<unknown>): Promise<AccountLinkRefused> {
    const error: unknown = await promise.then(
      () => {
        throw new Error("not refused");
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AccountLinkRefused);
    expect(error).toMatchObject({ kind: "not-found", code: "LinkInvalid" });
    return error as AccountLinkRefused;
  }

  describe("invitations", () => {
    it("invites: a link with the token in its fragment, 7 days, only the token's hash stored", async () => {
      const { links, stores, registered } = await open();
      const invited = await links.invite({
        email: " Eve@Example.ORG ",
        role: "maintainer",
        invitedBy: "usr_ada",
      });
      expect(invited.url).toMatch(/^https:\/\/composer\.example\.com\/broker\/invite#[A-Za-z0-9_-]{43}$/);
      expect(invited).toEqual({
        link: {
          id: expect.stringMatching(/^lnk_[0-9A-Z]{26}$/) as unknown,
          purpose: "invitation",
          email: "eve@example.org",
          role: "maintainer",
          userId: null,
          createdBy: "usr_ada",
          createdAt: "2026-05-01T10:00:00.000Z",
          expiresAt: "2026-05-08T10:00:00.000Z",
          usedAt: null,
          revokedAt: null,
          status: "open",
        },
        url: invited.url,
        replaced: [],
        delivery: { status: "not-configured" },
      });
      const stored = await stores.links.findById(invited.link.id);
      expect(stored?.tokenHash).toBe(sha256(tokenOf(invited.url)));
      expect(JSON.stringify(stored)).not.toContain(tokenOf(invited.url));
      expect(registered).toEqual([{ id: invited.link.id, email: "eve@example.org", name: null }]);
      expect(await links.describe(tokenOf(invited.url))).toEqual({
        purpose: "invitation",
        email: "eve@example.org",
        role: "maintainer",
        expiresAt: "2026-05-08T10:00:00.000Z",
      });
      expect(await links.listInvitations()).toEqual([invited.link]);
    });

    it.each([
      [{ email: "not-an-address", role: "viewer" }, "InvalidEmail"],
      [{ email: 42, role: "viewer" }, "InvalidEmail"],
      [{ email: `${"x".repeat(10_000)}@example.org`, role: "viewer" }, "InvalidEmail"],
      [{ email: "eve@example.org", role: "owner" }, "InvalidRole"],
      [{ email: "eve@example.org", role: null }, "InvalidRole"],
      [{ email: "ada@example.org", role: "viewer" }, "UserExists"],
      [{ email: "ADA@example.org", role: "viewer" }, "UserExists"],
    ])("refuses to invite %j (%s), and stores nothing", async (input, code) => {
      const { links, stores } = await open();
      await storeUser(stores, "ada@example.org", "admin");
      await expect(links.invite({ ...input, invitedBy: null })).rejects.toMatchObject({ code });
      expect(await links.listInvitations()).toEqual([]);
    });

    it("replaces an earlier open invitation for the same address", async () => {
      const { links, clock } = await open();
      const first = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
      clock.advance(60_000);
      const second = await links.invite({ email: "EVE@example.org", role: "auditor", invitedBy: null });
      expect(second.replaced).toEqual([
        { ...first.link, revokedAt: "2026-05-01T10:01:00.000Z", status: "revoked" },
      ]);
      expect((await refusal(links.describe(tokenOf(first.url)))).reason).toBe("revoked");
      expect((await links.describe(tokenOf(second.url))).role).toBe("auditor");
      expect(await links.listInvitations()).toEqual([second.link]);
    });

    it("leaves one open invitation when several are made for one address at once", async () => {
      const { links } = await open();
      const results = await Promise.all(
        ["a", "b", "c", "d"].map(() =>
          links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null }),
        ),
      );
      const open_ = await links.listInvitations();
      expect(open_).toHaveLength(1);
      const usable = [];
      for (const result of results) {
        usable.push(
          await links.describe(tokenOf(result.url)).then(
            () => result.link.id,
            () => null,
          ),
        );
      }
      expect(usable.filter((id) => id !== null)).toEqual([open_[0]?.id]);
    });

    it("creates the invited user with the invited address and role, once", async () => {
      const { links, stores, registered } = await open();
      const invited = await links.invite({
        email: "eve@example.org",
        role: "maintainer",
        invitedBy: "usr_ada",
      });
      const accepted = await links.accept(tokenOf(invited.url), {
        password: PASSWORD,
        name: "  Eve Moneypenny ",
      });
      expect(accepted).toMatchObject({
        purpose: "invitation",
        link: { id: invited.link.id, usedAt: "2026-05-01T10:00:00.000Z", status: "used" },
        user: {
          email: "eve@example.org",
          name: "Eve Moneypenny",
          role: "maintainer",
          status: "active",
          passwordSet: true,
        },
        endedSessions: 0,
      });
      const stored = await stores.users.findById(accepted.user.id);
      expect(await verifyPassword(PASSWORD, stored?.passwordHash ?? "")).toBe(true);
      expect(stored?.passwordChangedAt).toBe("2026-05-01T10:00:00.000Z");
      expect(registered).toContainEqual({
        id: accepted.user.id,
        email: "eve@example.org",
        name: "Eve Moneypenny",
      });
      expect((await refusal(links.accept(tokenOf(invited.url), { password: PASSWORD }))).reason).toBe("used");
      expect((await refusal(links.describe(tokenOf(invited.url)))).reason).toBe("used");
      expect(await links.listInvitations()).toEqual([]);
    });

    it("accepts the invited address given again, in any case, and refuses another one", async () => {
      const { links } = await open();
      const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
      await expect(
        links.accept(tokenOf(invited.url), { password: PASSWORD, email: "mallory@example.org" }),
      ).rejects.toMatchObject({ code: "EmailMismatch" });
      const accepted = await links.accept(tokenOf(invited.url), {
        password: PASSWORD,
        email: " EVE@example.org",
      });
      expect(accepted.user.email).toBe("eve@example.org");
    });

    it("gives exactly one of several concurrent uses of an invitation the account", async () => {
      const { links, stores } = await open();
      const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
      const results = await Promise.allSettled(
        [1, 2, 3].map((n) => links.accept(tokenOf(invited.url), { password: `${PASSWORD} ${n}` })),
      );
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      for (const result of results.filter((r) => r.status === "rejected")) {
        expect(result.reason).toMatchObject({ code: "LinkInvalid", reason: "used" });
      }
      expect((await stores.users.list()).map((user) => user.email)).toEqual(["eve@example.org"]);
    });

    it("refuses an invitation whose address got an account meanwhile, and leaves it unused", async () => {
      const { links, stores } = await open();
      const invited = await links.invite({ email: "eve@example.org", role: "admin", invitedBy: null });
      await storeUser(stores, "eve@example.org");
      await expect(links.describe(tokenOf(invited.url))).rejects.toMatchObject({
        kind: "conflict",
        code: "UserExists",
      });
      await expect(links.accept(tokenOf(invited.url), { password: PASSWORD })).rejects.toMatchObject({
        kind: "conflict",
        code: "UserExists",
      });
      expect((await stores.links.findById(invited.link.id))?.usedAt).toBeNull();
      expect((await stores.users.findByEmail("eve@example.org"))?.role).toBe("viewer");
    });

    it("keeps one account per address when a user is created directly while the invitation is used", async () => {
      const { links, stores } = await open();
      const invited = await links.invite({ email: "eve@example.org", role: "admin", invitedBy: null });
      const [accepted, direct] = await Promise.allSettled([
        links.accept(tokenOf(invited.url), { password: PASSWORD }),
        stores.users.insert({
          id: "usr_direct",
          email: "eve@example.org",
          name: null,
          role: "viewer",
          passwordHash: null,
          createdAt: "2026-05-01T10:00:00.000Z",
        }),
      ]);
      const users = (await stores.users.list()).filter((user) => user.email === "eve@example.org");
      expect(users).toHaveLength(1);
      const used = (await stores.links.findById(invited.link.id))?.usedAt ?? null;
      if (accepted.status === "fulfilled") {
        expect(direct).toEqual({ status: "fulfilled", value: null });
        expect(used).not.toBeNull();
      } else {
        expect(accepted.reason).toMatchObject({ code: "UserExists" });
        expect(users[0]?.id).toBe("usr_direct");
        expect(used).toBeNull();
      }
    });

    it("refuses a weak or missing password and a bad name, and the link still works after", async () => {
      const { links } = await open();
      const invited = await links.invite({
        email: "eve.moneypenny@example.org",
        role: "viewer",
        invitedBy: null,
      });
      const token = tokenOf(invited.url);
      const refused: [object, string][] = [
        [{ password: "short" }, "WeakPassword"],
        [{ password: "password1234" }, "WeakPassword"],
        [{ password: "moneypenny is my name" }, "WeakPassword"],
        [{ password: "x".repeat(10_000) }, "WeakPassword"],
        [{ password: PASSWORD, name: "Jane Smithers" }, ""],
        [{}, "InvalidPassword"],
        [{ password: 123456789012 }, "InvalidPassword"],
        [{ password: [PASSWORD] }, "InvalidPassword"],
        [{ password: PASSWORD, name: "a\u0000b" }, "InvalidName"],
        [{ password: PASSWORD, name: { first: "Eve" } }, "InvalidName"],
      ];
      for (const [input, code] of refused.filter(([, c]) => c !== "")) {
        await expect(
          links.accept(token, input as { password: unknown }),
          JSON.stringify(input).slice(0, 60),
        ).rejects.toMatchObject({
          kind: "invalid",
          code,
        });
      }
      await expect(
        links.accept(token, { password: "jane smithers rules 9", name: "Jane Smithers" }),
      ).rejects.toMatchObject({
        code: "WeakPassword",
      });
      expect((await links.accept(token, { password: PASSWORD })).user.email).toBe(
        "eve.moneypenny@example.org",
      );
    });

    it("revokes an open invitation, and says clearly why it cannot revoke others", async () => {
      const { links, clock } = await open();
      const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
      const other = await links.invite({ email: "bob@example.org", role: "viewer", invitedBy: null });
      await links.accept(tokenOf(other.url), { password: PASSWORD });
      clock.advance(1000);
      expect(await links.revokeInvitation(invited.link.id)).toMatchObject({
        id: invited.link.id,
        revokedAt: "2026-05-01T10:00:01.000Z",
        status: "revoked",
      });
      expect((await refusal(links.accept(tokenOf(invited.url), { password: PASSWORD }))).reason).toBe(
        "revoked",
      );
      await expect(links.revokeInvitation(invited.link.id)).rejects.toMatchObject({
        kind: "conflict",
        code: "InvitationClosed",
        message: "this invitation was revoked already",
      });
      await expect(links.revokeInvitation(other.link.id)).rejects.toMatchObject({
        message: "this invitation was used already",
      });
      for (const id of [
        "lnk_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "",
        "x".repeat(10_000),
        42,
        null,
        { id: 1 },
        "lnk_' or 1=1 --",
      ]) {
        await expect(links.revokeInvitation(id)).rejects.toMatchObject({
          kind: "not-found",
          code: "InvitationNotFound",
        });
      }
    });

    it("refuses an expired invitation from the moment it expires", async () => {
      const { links, clock } = await open();
      const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
      clock.advance(7 * DAY - 1);
      expect((await links.describe(tokenOf(invited.url))).email).toBe("eve@example.org");
      clock.advance(1);
      expect((await refusal(links.describe(tokenOf(invited.url)))).reason).toBe("expired");
      const refused = await refusal(links.accept(tokenOf(invited.url), { password: PASSWORD }));
      expect(refused.reason).toBe("expired");
      expect(refused.link?.id).toBe(invited.link.id);
      expect(await links.listInvitations()).toEqual([]);
      // An expired invitation no longer blocks a new one.
      expect(
        (await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null })).replaced,
      ).toHaveLength(1);
    });
  });

  it.each([
    ["empty", ""],
    ["10 KB", "A".repeat(10_240)],
    ["a number", 42],
    ["null", null],
    ["an object", { token: "x" }],
    ["an array", ["A".repeat(43)]],
    ["one character short", "A".repeat(42)],
    ["with a foreign character", `${"A".repeat(42)}=`],
    ["with white space", ` ${"A".repeat(43)}`],
  ])("answers a token that is %s with the one LinkInvalid, without a lookup", async (_, token) => {
    const { links } = await open();
    expect((await refusal(links.describe(token))).reason).toBe("malformed");
    expect((await refusal(links.accept(token, { password: PASSWORD }))).reason).toBe("malformed");
    expect(await links.identify(token)).toBeNull();
  });

  it("answers an unknown token and a token one character off like any other invalid link", async () => {
    const { links } = await open();
    const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
    const token = tokenOf(invited.url);
    const off = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const candidate of [off, "A".repeat(43)]) {
      const refused = await refusal(links.accept(candidate, { password: PASSWORD }));
      expect(refused.reason).toBe("unknown");
      expect(refused.message).toBe(
        "This link is not valid: it may have expired, been used already, or been replaced by a newer one.",
      );
      expect(refused.extensions).toEqual({});
    }
    expect(await links.identify(token)).toEqual({ id: invited.link.id, purpose: "invitation" });
  });

  it("answers a body that is no object with a clear error, not a crash", async () => {
    const { links } = await open();
    const invited = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null });
    for (const body of [null, "a long and quiet river 42", [PASSWORD], 42]) {
      await expect(
        links.accept(tokenOf(invited.url), body as unknown as { password: unknown }),
        JSON.stringify(body),
      ).rejects.toMatchObject({ code: "InvalidPassword" });
    }
    expect((await links.describe(tokenOf(invited.url))).email).toBe("eve@example.org");
  });

  describe("the setup link", () => {
    it("creates the first admin with the address they choose, once, and only while there is no admin", async () => {
      const { links, stores, clock } = await open();
      const first = await links.createSetupLink();
      clock.advance(1000);
      const setup = await links.createSetupLink();
      expect(setup.url).toMatch(/^https:\/\/composer\.example\.com\/broker\/setup#[A-Za-z0-9_-]{43}$/);
      expect(setup.link).toMatchObject({
        purpose: "setup",
        email: null,
        role: "admin",
        createdBy: null,
        expiresAt: "2026-05-02T10:00:01.000Z",
      });
      expect(setup.replaced.map((link) => link.id)).toEqual([first.link.id]);
      expect((await refusal(links.describe(tokenOf(first.url)))).reason).toBe("revoked");
      expect(await links.describe(tokenOf(setup.url))).toEqual({
        purpose: "setup",
        email: null,
        role: "admin",
        expiresAt: "2026-05-02T10:00:01.000Z",
      });

      await expect(links.accept(tokenOf(setup.url), { password: PASSWORD })).rejects.toMatchObject({
        code: "InvalidEmail",
      });
      await expect(
        links.accept(tokenOf(setup.url), { password: PASSWORD, email: "root@localhost" }),
      ).rejects.toMatchObject({
        code: "InvalidEmail",
      });
      const accepted = await links.accept(tokenOf(setup.url), {
        password: PASSWORD,
        email: "Root@Example.com",
        name: "Root",
      });
      expect(accepted.user).toMatchObject({ email: "root@example.com", role: "admin", status: "active" });
      expect(await stores.users.countActiveAdmins()).toBe(1);
      expect(
        (await refusal(links.accept(tokenOf(setup.url), { password: PASSWORD, email: "x@example.com" })))
          .reason,
      ).toBe("used");
      await expect(links.createSetupLink()).rejects.toMatchObject({ kind: "conflict", code: "AdminExists" });
    });

    it("refuses a setup link once an admin was made some other way, and keeps it unused", async () => {
      const { links, stores } = await open();
      const setup = await links.createSetupLink();
      await storeUser(stores, "ada@example.org", "admin");
      await expect(links.describe(tokenOf(setup.url))).rejects.toMatchObject({ code: "AdminExists" });
      await expect(
        links.accept(tokenOf(setup.url), { password: PASSWORD, email: "mallory@example.org" }),
      ).rejects.toMatchObject({ code: "AdminExists" });
      expect((await stores.links.findById(setup.link.id))?.usedAt).toBeNull();
      expect(await stores.users.findByEmail("mallory@example.org")).toBeNull();
    });

    it("refuses an address that is taken, and expires after 24 hours", async () => {
      const { links, stores, clock } = await open();
      await storeUser(stores, "bob@example.org");
      const setup = await links.createSetupLink();
      await expect(
        links.accept(tokenOf(setup.url), { password: PASSWORD, email: "BOB@example.org" }),
      ).rejects.toMatchObject({ code: "UserExists" });
      clock.advance(DAY);
      expect(
        (await refusal(links.accept(tokenOf(setup.url), { password: PASSWORD, email: "root@example.org" })))
          .reason,
      ).toBe("expired");
    });
  });

  describe("password resets", () => {
    async function withSessions(stores: AccountStores, userId: string, count: number): Promise<void> {
      for (let n = 0; n < count; n++) {
        await stores.sessions.insert({
          idHash: `${n}`.repeat(64),
          userId,
          csrfHash: "c".repeat(64),
          pendingMfa: false,
          ipAddress: null,
          userAgent: null,
          createdAt: "2026-05-01T09:00:00.000Z",
          lastSeenAt: "2026-05-01T09:00:00.000Z",
          expiresAt: "2026-05-01T21:00:00.000Z",
        });
      }
    }

    it("sets the new password and ends every session of the user", async () => {
      const { links, stores, clock } = await open();
      const userId = await storeUser(stores, "bob@example.org", "maintainer", "the old password 2025");
      await withSessions(stores, userId, 2);
      const first = await links.requestPasswordReset({ userId, requestedBy: "usr_ada" });
      const reset = await links.requestPasswordReset({ userId, requestedBy: "usr_ada" });
      expect(reset.replaced.map((link) => link.id)).toEqual([first.link.id]);
      expect(reset.url).toMatch(
        /^https:\/\/composer\.example\.com\/broker\/reset-password#[A-Za-z0-9_-]{43}$/,
      );
      expect(reset.link).toMatchObject({
        purpose: "password-reset",
        email: "bob@example.org",
        role: null,
        userId,
        createdBy: "usr_ada",
        expiresAt: "2026-05-02T10:00:00.000Z",
      });
      expect(await links.describe(tokenOf(reset.url))).toEqual({
        purpose: "password-reset",
        email: "bob@example.org",
        role: null,
        expiresAt: "2026-05-02T10:00:00.000Z",
      });
      await expect(links.accept(tokenOf(reset.url), { password: "bob12" })).rejects.toMatchObject({
        code: "WeakPassword",
      });
      clock.advance(60_000);
      const accepted = await links.accept(tokenOf(reset.url), {
        password: PASSWORD,
        name: "ignored",
        email: "x@example.org",
      });
      expect(accepted).toMatchObject({
        purpose: "password-reset",
        user: { id: userId, email: "bob@example.org", role: "maintainer", name: null },
        endedSessions: 2,
      });
      const stored = await stores.users.findById(userId);
      expect(await verifyPassword(PASSWORD, stored?.passwordHash ?? "")).toBe(true);
      expect(await verifyPassword("the old password 2025", stored?.passwordHash ?? "")).toBe(false);
      expect(stored?.passwordChangedAt).toBe("2026-05-01T10:01:00.000Z");
      expect(await stores.sessions.findByIdHash("0".repeat(64))).toBeNull();
      expect((await refusal(links.accept(tokenOf(reset.url), { password: PASSWORD }))).reason).toBe("used");
    });

    it("lets a blocked user get a new password, and they stay blocked", async () => {
      const { links, stores } = await open();
      const userId = await storeUser(stores, "bob@example.org");
      await stores.users.update(userId, { status: "blocked" }, "2026-04-02T00:00:00.000Z");
      const reset = await links.requestPasswordReset({ userId, requestedBy: null });
      const accepted = await links.accept(tokenOf(reset.url), { password: PASSWORD });
      expect(accepted.user).toMatchObject({ status: "blocked", passwordSet: true });
    });

    it("finds the user by e-mail address too, and refuses an unclear or unknown user", async () => {
      const { links, stores } = await open();
      const userId = await storeUser(stores, "bob@example.org");
      expect(
        (await links.requestPasswordReset({ email: " BOB@example.org", requestedBy: null })).link.userId,
      ).toBe(userId);
      const refused: [object, string][] = [
        [{}, "UserReferenceRequired"],
        [{ userId, email: "bob@example.org" }, "UserReferenceRequired"],
        [{ userId: 42 }, "UserNotFound"],
        [{ userId: "x".repeat(10_000) }, "UserNotFound"],
        [{ email: "nobody@example.org" }, "UserNotFound"],
        [{ email: ["bob@example.org"] }, "InvalidEmail"],
      ];
      for (const [reference, code] of refused) {
        await expect(
          links.requestPasswordReset({ ...reference, requestedBy: null } as Parameters<
            AccountLinks["requestPasswordReset"]
          >[0]),
          JSON.stringify(reference).slice(0, 50),
        ).rejects.toMatchObject({ code });
      }
    });

    it("refuses a reset for an unknown user, and a reset link of a user who is gone", async () => {
      const { links, stores } = await open();
      await expect(
        links.requestPasswordReset({ userId: "usr_nobody", requestedBy: null }),
      ).rejects.toMatchObject({
        kind: "not-found",
        code: "UserNotFound",
      });
      const userId = await storeUser(stores, "bob@example.org");
      const reset = await links.requestPasswordReset({ userId, requestedBy: null });
      await handle.db
        .updateTable("users")
        .set({ status: "deleted", email: `deleted:${userId}` })
        .execute();
      expect((await refusal(links.describe(tokenOf(reset.url)))).reason).toBe("user-gone");
      expect((await refusal(links.accept(tokenOf(reset.url), { password: PASSWORD }))).reason).toBe(
        "user-gone",
      );
    });

    it("gives exactly one of two concurrent uses the new password", async () => {
      const { links, stores } = await open();
      const userId = await storeUser(stores, "bob@example.org");
      const reset = await links.requestPasswordReset({ userId, requestedBy: null });
      const results = await Promise.allSettled([
        links.accept(tokenOf(reset.url), { password: `${PASSWORD} one` }),
        links.accept(tokenOf(reset.url), { password: `${PASSWORD} two` }),
      ]);
      const won = results.findIndex((result) => result.status === "fulfilled");
      expect(results.filter((result) => result.status === "rejected")).toHaveLength(1);
      const hash = (await stores.users.findById(userId))?.passwordHash ?? "";
      expect(await verifyPassword(`${PASSWORD} ${won === 0 ? "one" : "two"}`, hash)).toBe(true);
    });
  });

  it("refuses lifetimes that are not positive whole milliseconds", async () => {
    const { stores } = await open();
    for (const invitationMs of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(
        () =>
          new AccountLinks({
            stores,
            clock: new ManualClock(),
            baseUrl: "http://broker.test",
            mailer: null,
            subjects: { register: () => Promise.resolve() },
            lifetimes: { invitationMs, setupMs: DAY, passwordResetMs: DAY },
          }),
      ).toThrow(RangeError);
    }
  });

  it("takes its lifetimes from the options, and e-mails through the mailer it is given", async () => {
    const sent: MailMessage[] = [];
    const mailer: Mailer = {
      send: (message) => {
        sent.push(message);
        return Promise.resolve();
      },
      close: () => undefined,
    };
    const { links } = await open({
      lifetimes: { invitationMs: 60_000, setupMs: 1000, passwordResetMs: 1000 },
      mailer,
    });
    const invited = await links.invite({
      email: "eve@example.org",
      role: "viewer",
      invitedBy: "usr_unknown",
    });
    expect(invited.link.expiresAt).toBe("2026-05-01T10:01:00.000Z");
    expect(invited.delivery).toEqual({ status: "sent" });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe("eve@example.org");
    expect(sent[0]?.text).toContain(invited.url);
    expect(sent[0]?.text).toContain("An administrator invited you");
  });
});
