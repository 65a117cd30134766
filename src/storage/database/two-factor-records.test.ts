import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { RecoveryCodeRecords } from "./recovery-code-records.ts";
import { SessionRecords } from "./session-records.ts";
import { TwoFactorRecords } from "./two-factor-records.ts";
import { UserRecords } from "./user-records.ts";

const NOW = "2026-03-02T09:00:00.000Z";

describe.each(testEngines())("TwoFactorRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open() {
    handle = await createTestDatabase(engine);
    const users = new UserRecords(handle.db);
    const sessions = new SessionRecords(handle.db);
    const codes = new RecoveryCodeRecords(handle.db);
    for (const id of ["usr_ada", "usr_bob"]) {
      await users.insert({
        id,
        email: `${id}@example.org`,
        name: null,
        role: "viewer",
        passwordHash: null,
        createdAt: NOW,
      });
      await users.setTotp(id, "v1.sealed", NOW, NOW);
      await users.setTotpLastStep(id, 42);
      await codes.replaceAll(id, ["a".repeat(64), "b".repeat(64)]);
      for (const n of [1, 2]) {
        await sessions.insert({
          idHash: `${id}-${String(n)}`.padEnd(64, "0"),
          userId: id,
          csrfHash: "c".repeat(64),
          pendingMfa: false,
          ipAddress: null,
          userAgent: null,
          createdAt: NOW,
          lastSeenAt: NOW,
          expiresAt: "2026-03-03T09:00:00.000Z",
        });
      }
    }
    return { users, sessions, codes, records: new TwoFactorRecords(handle.db) };
  }

  it("clears the secret and the codes, keeping the last step and, unless asked, the sessions", async () => {
    const t = await open();
    expect(await t.records.clear("usr_ada", "2026-03-02T10:00:00.000Z", { endSessions: false })).toEqual({
      sessionsEnded: 0,
    });
    const ada = (await t.users.findById("usr_ada"))!;
    expect([ada.totpSecret, ada.totpEnabledAt, ada.totpLastStep, ada.updatedAt]).toEqual([
      null,
      null,
      42,
      "2026-03-02T10:00:00.000Z",
    ]);
    expect(await t.codes.countUnused("usr_ada")).toBe(0);
    expect(await t.sessions.findByIdHash("usr_ada-1".padEnd(64, "0"))).not.toBeNull();
    // Bob is untouched.
    expect((await t.users.findById("usr_bob"))?.totpEnabledAt).toBe(NOW);
    expect(await t.codes.countUnused("usr_bob")).toBe(2);
  });

  it("ends the user's sessions when asked, and answers null for an unknown user", async () => {
    const t = await open();
    expect(await t.records.clear("usr_bob", NOW, { endSessions: true })).toEqual({ sessionsEnded: 2 });
    expect(await t.sessions.findByIdHash("usr_bob-1".padEnd(64, "0"))).toBeNull();
    expect(await t.sessions.findByIdHash("usr_ada-1".padEnd(64, "0"))).not.toBeNull();
    expect(await t.records.clear("usr_nobody", NOW, { endSessions: true })).toBeNull();
  });
});
