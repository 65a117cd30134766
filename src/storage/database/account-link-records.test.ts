import { afterEach, describe, expect, it } from "vitest";
import { insertUsers } from "../../../test/builders/stored-users.ts";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { AccountLinkRecords, type NewAccountLinkRecord } from "./account-link-records.ts";
import { AccountStores } from "./account-stores.ts";
import type { DatabaseHandle } from "./database-handle.ts";

const NOW = "2026-01-02T00:00:00.000Z";

function newLink(overrides: Partial<NewAccountLinkRecord> = {}): NewAccountLinkRecord {
  return {
    id: "lnk_1",
    purpose: "invitation",
    tokenHash: "a".repeat(64),
    email: "eve@example.org",
    role: "viewer",
    userId: null,
    createdBy: "usr_ada",
    createdAt: "2026-01-01T00:00:00.000Z",
    expiresAt: "2026-01-08T00:00:00.000Z",
    ...overrides,
  };
}

describe.each(testEngines())("AccountLinkRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<AccountLinkRecords> {
    handle = await createTestDatabase(engine);
    await insertUsers(handle.db, ["ada", "bob"]);
    return new AccountLinkRecords(handle.db);
  }

  it("stores a link and finds it by the hash of its token and by id", async () => {
    const links = await open();
    expect(await links.insert(newLink())).toBe(true);
    const stored = { ...newLink(), usedAt: null, revokedAt: null };
    expect(await links.findByTokenHash("a".repeat(64))).toEqual(stored);
    expect(await links.findById("lnk_1")).toEqual(stored);
    expect(await links.findByTokenHash("b".repeat(64))).toBeNull();
    expect(await links.findById("lnk_2")).toBeNull();
  });

  it("keeps one open link per purpose and address, and any number of setup links", async () => {
    const links = await open();
    expect(await links.insert(newLink())).toBe(true);
    expect(await links.insert(newLink({ id: "lnk_2", tokenHash: "b".repeat(64) }))).toBe(false);
    expect(
      await links.insert(
        newLink({ id: "lnk_3", tokenHash: "c".repeat(64), purpose: "password-reset", userId: "usr_bob" }),
      ),
    ).toBe(true);
    expect(await links.revokeOpen("invitation", { email: "eve@example.org" }, NOW)).toMatchObject([
      { id: "lnk_1", revokedAt: NOW },
    ]);
    expect(await links.insert(newLink({ id: "lnk_2", tokenHash: "b".repeat(64) }))).toBe(true);
    for (const n of [4, 5]) {
      const setup = newLink({
        id: `lnk_${n}`,
        tokenHash: String(n).repeat(64),
        purpose: "setup",
        email: null,
      });
      expect(await links.insert({ ...setup, role: "admin", createdBy: null })).toBe(true);
    }
    // The same token twice is refused too (it never happens: 256 random bits).
    expect(await links.insert(newLink({ id: "lnk_6", email: "other@example.org" }))).toBe(false);
  });

  it("uses a link once, only while it is open and not expired", async () => {
    const links = await open();
    await links.insert(newLink());
    await links.insert(newLink({ id: "lnk_2", tokenHash: "b".repeat(64), email: "old@example.org" }));
    await links.insert(newLink({ id: "lnk_3", tokenHash: "c".repeat(64), email: "gone@example.org" }));
    await links.revoke("lnk_3", "invitation", NOW);

    expect(await links.claim("a".repeat(64), NOW)).toMatchObject({ id: "lnk_1", usedAt: NOW });
    expect(await links.claim("a".repeat(64), NOW)).toBeNull();
    expect(await links.claim("b".repeat(64), "2026-01-08T00:00:00.000Z")).toBeNull();
    expect(await links.claim("c".repeat(64), NOW)).toBeNull();
    expect(await links.claim("f".repeat(64), NOW)).toBeNull();
    expect((await links.findById("lnk_1"))?.usedAt).toBe(NOW);
    expect((await links.findById("lnk_2"))?.usedAt).toBeNull();
  });

  it("gives exactly one of many concurrent uses the link", async () => {
    const links = await open();
    await links.insert(newLink());
    const stores = new AccountStores(handle!.db);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        stores.transaction(({ links: inTransaction }) => inTransaction.claim("a".repeat(64), NOW)),
      ),
    );
    expect(results.filter((link) => link !== null)).toHaveLength(1);
  });

  it("gives the link back when the transaction that used it fails", async () => {
    const links = await open();
    await links.insert(newLink());
    const stores = new AccountStores(handle!.db);
    await expect(
      stores.transaction(async ({ links: inTransaction }) => {
        expect(await inTransaction.claim("a".repeat(64), NOW)).not.toBeNull();
        throw new Error("the user could not be created");
      }),
    ).rejects.toThrow("could not be created");
    expect((await links.findById("lnk_1"))?.usedAt).toBeNull();
    expect(await links.claim("a".repeat(64), NOW)).not.toBeNull();
  });

  it("revokes the open links of a purpose for an address, or all of them", async () => {
    const links = await open();
    await links.insert(newLink());
    await links.insert(newLink({ id: "lnk_2", tokenHash: "b".repeat(64), email: "bob@example.org" }));
    await links.insert(
      newLink({
        id: "lnk_3",
        tokenHash: "c".repeat(64),
        purpose: "password-reset",
        role: null,
        userId: "usr_bob",
        email: "bob@example.org",
      }),
    );
    await links.insert(newLink({ id: "lnk_4", tokenHash: "d".repeat(64), purpose: "setup", email: null }));
    await links.insert(newLink({ id: "lnk_5", tokenHash: "e".repeat(64), purpose: "setup", email: null }));
    await links.claim("e".repeat(64), NOW);

    expect(
      (await links.revokeOpen("password-reset", { email: "bob@example.org" }, NOW)).map((l) => l.id),
    ).toEqual(["lnk_3"]);
    expect(await links.revokeOpen("password-reset", { email: "bob@example.org" }, NOW)).toEqual([]);
    // A used link stays used; only the open one is revoked.
    expect((await links.revokeOpen("setup", "all", NOW)).map((l) => l.id)).toEqual(["lnk_4"]);
    expect((await links.listUsable("invitation", NOW)).map((l) => l.id)).toEqual(["lnk_1", "lnk_2"]);
    expect(await links.listUsable("invitation", "2026-01-08T00:00:00.000Z")).toEqual([]);

    expect(await links.revoke("lnk_1", "password-reset", NOW)).toBeNull();
    expect(await links.revoke("lnk_1", "invitation", NOW)).toMatchObject({ id: "lnk_1", revokedAt: NOW });
    expect(await links.revoke("lnk_1", "invitation", NOW)).toBeNull();
    expect(await links.revoke("lnk_9", "invitation", NOW)).toBeNull();
  });

  it("deletes a user's reset links with the user, and refuses a link for an unknown user", async () => {
    const links = await open();
    await links.insert(
      newLink({ purpose: "password-reset", role: null, userId: "usr_bob", email: "bob@example.org" }),
    );
    await expect(
      links.insert(
        newLink({ id: "lnk_2", tokenHash: "b".repeat(64), purpose: "password-reset", userId: "usr_nobody" }),
      ),
    ).rejects.toThrow();
    await handle!.db.deleteFrom("users").where("id", "=", "usr_bob").execute();
    expect(await links.findById("lnk_1")).toBeNull();
  });
});
