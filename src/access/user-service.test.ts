import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { RecoveryCodeRecords } from "../storage/database/recovery-code-records.ts";
import { SessionRecords, type SessionRecord } from "../storage/database/session-records.ts";
import { TokenRecords } from "../storage/database/token-records.ts";
import { UserRecords } from "../storage/database/user-records.ts";
import { verifyPassword } from "./password-hash.ts";
import { TokenService } from "./token-service.ts";
import { UserService } from "./user-service.ts";

function session(userId: string, idHash: string): SessionRecord {
  return {
    idHash,
    userId,
    csrfHash: "c".repeat(64),
    pendingMfa: false,
    ipAddress: null,
    userAgent: null,
    createdAt: "2026-05-01T10:00:00.000Z",
    lastSeenAt: "2026-05-01T10:00:00.000Z",
    expiresAt: "2026-05-01T22:00:00.000Z",
  };
}

describe.each(testEngines())("UserService on %s", (engine) => {
  let handle: DatabaseHandle;
  afterEach(async () => {
    await handle.close();
  });

  async function open(): Promise<{ users: UserService; records: UserRecords; registered: unknown[] }> {
    handle = await createTestDatabase(engine);
    const records = new UserRecords(handle.db);
    const registered: unknown[] = [];
    const users = new UserService({
      records,
      clock: new ManualClock("2026-05-01T10:00:00.000Z"),
      subjects: {
        register: (id, person) => {
          registered.push({ id, ...person });
          return Promise.resolve();
        },
      },
    });
    return { users, records, registered };
  }

  it("creates a user with a lower-cased e-mail, a hashed password, and registers the person for the audit log", async () => {
    const { users, records, registered } = await open();
    const user = await users.create({
      email: "Dana@Example.org",
      role: "maintainer",
      name: "  Dana Scully ",
      password: "trust no one, ever 1013",
    });
    expect(user).toEqual({
      id: expect.stringMatching(/^usr_/) as unknown,
      email: "dana@example.org",
      name: "Dana Scully",
      role: "maintainer",
      status: "active",
      passwordSet: true,
      twoFactor: false,
      createdAt: "2026-05-01T10:00:00.000Z",
      updatedAt: "2026-05-01T10:00:00.000Z",
    });
    const stored = await records.findById(user.id);
    expect(stored?.passwordHash).toMatch(/^\$scrypt\$/);
    expect(await verifyPassword("trust no one, ever 1013", stored?.passwordHash ?? "")).toBe(true);
    expect(registered).toEqual([{ id: user.id, email: "dana@example.org", name: "Dana Scully" }]);
    expect(await users.hasActiveAdmin()).toBe(false);
    await users.create({ email: "root@example.org", role: "admin" });
    expect(await users.hasActiveAdmin()).toBe(true);
  });

  it("keeps one account per address, whatever the case, even when two creations race", async () => {
    const { users } = await open();
    const results = await Promise.allSettled([
      users.create({ email: "eve@example.org", role: "viewer" }),
      users.create({ email: "EVE@example.org", role: "admin" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.reason).toMatchObject({ kind: "conflict", code: "UserExists" });
    expect(await users.list()).toHaveLength(1);
  });

  it.each([
    [{ email: 42, role: "viewer" }, "InvalidEmail"],
    [{ email: "a@b", role: "viewer" }, "InvalidEmail"],
    [{ email: "a..b@example.org", role: "viewer" }, "InvalidEmail"],
    [{ email: `${"x".repeat(250)}@example.org`, role: "viewer" }, "InvalidEmail"],
    [{ email: "a@example.org", role: "superuser" }, "InvalidRole"],
    [{ email: "a@example.org", role: ["admin"] }, "InvalidRole"],
    [{ email: "a@example.org", role: "viewer", name: { first: "x" } }, "InvalidName"],
    [{ email: "a@example.org", role: "viewer", name: "x".repeat(201) }, "InvalidName"],
    [{ email: "a@example.org", role: "viewer", password: 123456789012 }, "InvalidPassword"],
    [{ email: "a@example.org", role: "viewer", password: "password1234" }, "WeakPassword"],
  ])("refuses %j with %s", async (input, code) => {
    const { users } = await open();
    const error = await users.create(input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: "invalid", code });
    expect(await users.list()).toEqual([]);
  });

  it("never leaves zero active admins, even when two admins demote each other at once", async () => {
    const { users } = await open();
    const a = await users.create({ email: "a@example.org", role: "admin" });
    const b = await users.create({ email: "b@example.org", role: "admin" });
    const results = await Promise.allSettled([
      users.update(a.id, { role: "viewer" }),
      users.update(b.id, { status: "blocked" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")?.reason).toMatchObject({
      kind: "conflict",
      code: "LastAdmin",
    });
    expect(await users.hasActiveAdmin()).toBe(true);
    await expect(users.update("usr_none", { role: "viewer" })).rejects.toMatchObject({
      code: "UserNotFound",
    });
    await expect(users.update(a.id, { status: "gone" })).rejects.toMatchObject({ code: "InvalidStatus" });
  });

  describe("delete", () => {
    async function withPeople() {
      const opened = await open();
      const clock = new ManualClock("2026-05-01T10:00:00.000Z");
      const tokens = new TokenService({ records: new TokenRecords(handle.db), clock });
      const sessions = new SessionRecords(handle.db);
      const root = await opened.users.create({ email: "root@example.org", role: "admin" });
      const dana = await opened.users.create({
        email: "dana@example.org",
        role: "maintainer",
        name: "Dana",
        password: "trust no one, ever 1013",
      });
      return { ...opened, tokens, sessions, root, dana };
    }

    it("keeps the id, frees the address, clears secrets, ends sessions and revokes tokens", async () => {
      const { users, records, tokens, sessions, root, dana } = await withPeople();
      await sessions.insert(session(dana.id, "a".repeat(64)));
      await sessions.insert(session(dana.id, "b".repeat(64)));
      await sessions.insert(session(root.id, "f".repeat(64)));
      await new RecoveryCodeRecords(handle.db).replaceAll(dana.id, ["1".repeat(64), "2".repeat(64)]);
      const personal = await tokens.create({ description: "laptop", ownerId: dana.id });
      const machine = await tokens.create({ description: "ci" });

      const deleted = await users.delete(dana.id);
      expect(deleted).toEqual({
        user: dana,
        deletedAt: "2026-05-01T10:00:00.000Z",
        revokedTokens: 1,
        endedSessions: 2,
      });
      expect(await handle.db.selectFrom("users").selectAll().where("id", "=", dana.id).execute()).toEqual([
        expect.objectContaining({
          id: dana.id,
          email: `deleted:${dana.id}`,
          name: null,
          role: "maintainer",
          status: "deleted",
          password_hash: null,
          totp_secret: null,
        }) as unknown,
      ]);
      expect(await sessions.findByIdHash("a".repeat(64))).toBeNull();
      expect(await sessions.findByIdHash("f".repeat(64))).not.toBeNull();
      expect(await new RecoveryCodeRecords(handle.db).countUnused(dana.id)).toBe(0);
      expect((await tokens.get(personal.record.id)).revokedAt).toBe("2026-05-01T10:00:00.000Z");
      expect((await tokens.get(machine.record.id)).revokedAt).toBeNull();

      // Gone for every lookup; the address can be given to someone new.
      await expect(users.get(dana.id)).rejects.toMatchObject({ code: "UserNotFound" });
      await expect(users.getByIdOrEmail("dana@example.org")).rejects.toMatchObject({ code: "UserNotFound" });
      expect(await records.findByEmail(`deleted:${dana.id}`)).toBeNull();
      expect((await users.list()).map((user) => user.id)).toEqual([root.id]);
      await expect(users.update(dana.id, { status: "active" })).rejects.toMatchObject({
        code: "UserNotFound",
      });
      await expect(users.delete(dana.id)).rejects.toMatchObject({ kind: "not-found", code: "UserNotFound" });
      const again = await users.create({ email: "Dana@example.org", role: "viewer" });
      expect(again.id).not.toBe(dana.id);
      expect(await users.getByIdOrEmail(" DANA@example.org ")).toEqual(again);
    });

    it("refuses to delete the last active admin, and allows it once another admin exists", async () => {
      const { users, root } = await withPeople();
      await expect(users.delete(root.id)).rejects.toMatchObject({ kind: "conflict", code: "LastAdmin" });
      expect(await users.hasActiveAdmin()).toBe(true);
      const other = await users.create({ email: "other@example.org", role: "admin" });
      await users.update(other.id, { status: "blocked" });
      await expect(users.delete(root.id)).rejects.toMatchObject({ code: "LastAdmin" });
      await users.delete(other.id);
      await users.create({ email: "third@example.org", role: "admin" });
      expect((await users.delete(root.id)).user.id).toBe(root.id);
    });

    it("leaves one active admin when two admins are deleted at once", async () => {
      const { users, root } = await withPeople();
      const other = await users.create({ email: "other@example.org", role: "admin" });
      const results = await Promise.allSettled([users.delete(root.id), users.delete(other.id)]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(results.find((r) => r.status === "rejected")?.reason).toMatchObject({
        kind: "conflict",
        code: "LastAdmin",
      });
      expect(await users.hasActiveAdmin()).toBe(true);
      expect((await users.list()).filter((user) => user.role === "admin")).toHaveLength(1);
    });
  });

  it("ends a user's sessions when they are blocked", async () => {
    const { users } = await open();
    await users.create({ email: "root@example.org", role: "admin" });
    const eve = await users.create({ email: "eve@example.org", role: "viewer" });
    const sessions = new SessionRecords(handle.db);
    await sessions.insert(session(eve.id, "a".repeat(64)));
    await users.update(eve.id, { name: "Eve" });
    expect(await sessions.findByIdHash("a".repeat(64))).not.toBeNull();
    await users.update(eve.id, { status: "blocked" });
    expect(await sessions.findByIdHash("a".repeat(64))).toBeNull();
  });

  it("finds a user by id or by e-mail address", async () => {
    const { users } = await open();
    const eve = await users.create({ email: "eve@example.org", role: "viewer" });
    expect(await users.getByIdOrEmail(eve.id)).toEqual(eve);
    expect(await users.getByIdOrEmail("EVE@example.org")).toEqual(eve);
    await expect(users.getByIdOrEmail("usr_nobody")).rejects.toMatchObject({ code: "UserNotFound" });
    await expect(users.getByIdOrEmail("nobody@example.org")).rejects.toMatchObject({ code: "UserNotFound" });
    await expect(users.getByIdOrEmail("bad@@example")).rejects.toMatchObject({ code: "InvalidEmail" });
  });
});
