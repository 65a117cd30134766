import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { UserRecords } from "../storage/database/user-records.ts";
import { verifyPassword } from "./password-hash.ts";
import { UserService } from "./user-service.ts";

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
});
