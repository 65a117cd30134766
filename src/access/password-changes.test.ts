import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { AccountStores } from "../storage/database/account-stores.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";
import { PasswordChanges } from "./password-changes.ts";

const OLD = "the old password of 2025";
const NEW = "a brand new passphrase 26";

describe.each(testEngines())("PasswordChanges on %s", (engine) => {
  let handle: DatabaseHandle;
  afterEach(async () => {
    await handle.close();
  });

  async function open(
    passwordHash: string | null = null,
  ): Promise<{ changes: PasswordChanges; stores: AccountStores }> {
    handle = await createTestDatabase(engine);
    const stores = new AccountStores(handle.db);
    await stores.users.insert({
      id: "usr_dana",
      email: "dana.scully@example.org",
      name: "Dana Scully",
      role: "maintainer",
      passwordHash: passwordHash ?? (await hashPassword(OLD)),
      createdAt: "2026-04-01T00:00:00.000Z",
    });
    for (const n of [1, 2, 3]) {
      await stores.sessions.insert({
        idHash: String(n).repeat(64),
        userId: "usr_dana",
        csrfHash: "c".repeat(64),
        pendingMfa: false,
        ipAddress: null,
        userAgent: null,
        createdAt: "2026-05-01T09:00:00.000Z",
        lastSeenAt: "2026-05-01T09:00:00.000Z",
        expiresAt: "2026-05-01T21:00:00.000Z",
      });
    }
    return {
      changes: new PasswordChanges({ stores, clock: new ManualClock("2026-05-01T10:00:00.000Z") }),
      stores,
    };
  }

  it("sets the new password and ends the other sessions, keeping the one asking", async () => {
    const { changes, stores } = await open();
    const changed = await changes.changePassword("usr_dana", {
      currentPassword: OLD,
      newPassword: NEW,
      keepSessionIdHash: "2".repeat(64),
    });
    expect(changed).toMatchObject({ user: { id: "usr_dana", passwordSet: true }, endedSessions: 2 });
    const stored = await stores.users.findById("usr_dana");
    expect(await verifyPassword(NEW, stored?.passwordHash ?? "")).toBe(true);
    expect(stored?.passwordChangedAt).toBe("2026-05-01T10:00:00.000Z");
    expect(await stores.sessions.findByIdHash("2".repeat(64))).not.toBeNull();
    expect(await stores.sessions.findByIdHash("1".repeat(64))).toBeNull();
    // Without a session to keep, all of them end.
    expect(
      (await changes.changePassword("usr_dana", { currentPassword: NEW, newPassword: OLD })).endedSessions,
    ).toBe(1);
  });

  it.each([
    [
      "a wrong current password",
      { currentPassword: "not the password 1234", newPassword: NEW },
      "forbidden",
      "WrongCurrentPassword",
    ],
    [
      "a current password in another case",
      { currentPassword: OLD.toUpperCase(), newPassword: NEW },
      "forbidden",
      "WrongCurrentPassword",
    ],
    [
      "a 20 KB current password",
      { currentPassword: "x".repeat(20_000), newPassword: NEW },
      "forbidden",
      "WrongCurrentPassword",
    ],
    ["no current password", { newPassword: NEW }, "invalid", "CurrentPasswordRequired"],
    [
      "an empty current password",
      { currentPassword: "", newPassword: NEW },
      "invalid",
      "CurrentPasswordRequired",
    ],
    [
      "a current password that is no string",
      { currentPassword: { $ne: "" }, newPassword: NEW },
      "invalid",
      "CurrentPasswordRequired",
    ],
    ["a weak new password", { currentPassword: OLD, newPassword: "short" }, "invalid", "WeakPassword"],
    [
      "a new password with the name",
      { currentPassword: OLD, newPassword: "scully forever and ever" },
      "invalid",
      "WeakPassword",
    ],
    [
      "a new password that is no string",
      { currentPassword: OLD, newPassword: 123 },
      "invalid",
      "InvalidPassword",
    ],
  ])("refuses %s, and changes nothing", async (_, input, kind, code) => {
    const { changes, stores } = await open();
    await expect(changes.changePassword("usr_dana", input)).rejects.toMatchObject({ kind, code });
    const stored = await stores.users.findById("usr_dana");
    expect(await verifyPassword(OLD, stored?.passwordHash ?? "")).toBe(true);
    expect(await stores.sessions.findByIdHash("1".repeat(64))).not.toBeNull();
  });

  it("answers a body that is no object with a clear error, not a crash", async () => {
    const { changes } = await open();
    for (const body of [null, "x", 42]) {
      await expect(
        changes.changePassword("usr_dana", body as unknown as { currentPassword: unknown }),
      ).rejects.toMatchObject({ code: "CurrentPasswordRequired" });
    }
  });

  it("refuses a user without a password, and an unknown user", async () => {
    const { changes, stores } = await open();
    await stores.users.update("usr_dana", { passwordHash: null }, "2026-05-01T09:00:00.000Z");
    await expect(
      changes.changePassword("usr_dana", { currentPassword: OLD, newPassword: NEW }),
    ).rejects.toMatchObject({
      code: "WrongCurrentPassword",
    });
    await expect(
      changes.changePassword("usr_nobody", { currentPassword: OLD, newPassword: NEW }),
    ).rejects.toMatchObject({
      kind: "not-found",
      code: "UserNotFound",
    });
  });
});
