import { afterEach, describe, expect, it } from "vitest";
import { insertUsers } from "../../../test/builders/stored-users.ts";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { SessionRecords, type SessionRecord } from "./session-records.ts";

function newSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: "a".repeat(64),
    userId: "usr_ada",
    csrfHash: "c".repeat(64),
    pendingMfa: false,
    ipAddress: "192.0.2.1",
    userAgent: "Firefox",
    createdAt: "2026-01-01T00:00:00.000Z",
    lastSeenAt: "2026-01-01T00:00:00.000Z",
    expiresAt: "2026-01-01T12:00:00.000Z",
    ...overrides,
  };
}

describe.each(testEngines())("SessionRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  /** Sessions belong to users (a foreign key): two of them. */
  async function open(): Promise<SessionRecords> {
    handle = await createTestDatabase(engine);
    await insertUsers(handle.db, ["ada", "bob"]);
    return new SessionRecords(handle.db);
  }

  it("inserts and finds by the hash of the token", async () => {
    const records = await open();
    await records.insert(newSession());
    await records.insert(
      newSession({ idHash: "b".repeat(64), pendingMfa: true, ipAddress: null, userAgent: null }),
    );
    expect(await records.findByIdHash("a".repeat(64))).toEqual(newSession());
    expect(await records.findByIdHash("b".repeat(64))).toEqual(
      newSession({ idHash: "b".repeat(64), pendingMfa: true, ipAddress: null, userAgent: null }),
    );
    expect(await records.findByIdHash("f".repeat(64))).toBeNull();
  });

  it("refuses a session of an unknown user and a second session with the same hash", async () => {
    const records = await open();
    await expect(records.insert(newSession({ userId: "usr_nobody" }))).rejects.toThrow();
    await records.insert(newSession());
    await expect(records.insert(newSession())).rejects.toThrow();
  });

  it("moves last_seen_at forward only", async () => {
    const records = await open();
    await records.insert(newSession());
    expect(await records.touch("a".repeat(64), "2026-01-01T00:05:00.000Z")).toBe(true);
    expect(await records.touch("a".repeat(64), "2026-01-01T00:04:00.000Z")).toBe(false);
    expect(await records.touch("f".repeat(64), "2026-01-01T00:06:00.000Z")).toBe(false);
    expect((await records.findByIdHash("a".repeat(64)))?.lastSeenAt).toBe("2026-01-01T00:05:00.000Z");
  });

  it("deletes one session, all of a user's, or all of a user's but one", async () => {
    const records = await open();
    await records.insert(newSession({ idHash: "1".repeat(64) }));
    await records.insert(newSession({ idHash: "2".repeat(64) }));
    await records.insert(newSession({ idHash: "3".repeat(64) }));
    await records.insert(newSession({ idHash: "4".repeat(64), userId: "usr_bob" }));

    expect(await records.delete("1".repeat(64))).toBe(true);
    expect(await records.delete("1".repeat(64))).toBe(false);
    expect(await records.deleteAllForUser("usr_ada", "2".repeat(64))).toBe(1);
    expect(await records.findByIdHash("2".repeat(64))).not.toBeNull();
    expect(await records.findByIdHash("3".repeat(64))).toBeNull();
    expect(await records.deleteAllForUser("usr_ada")).toBe(1);
    expect(await records.findByIdHash("2".repeat(64))).toBeNull();
    expect(await records.findByIdHash("4".repeat(64))).not.toBeNull();
  });

  it("deletes the sessions past their end, and optionally those idle too long", async () => {
    const records = await open();
    const session = (n: number, lastSeenAt: string, expiresAt: string): SessionRecord =>
      newSession({ idHash: String(n).repeat(64), lastSeenAt, expiresAt });
    await records.insert(session(1, "2026-01-01T09:30:00.000Z", "2026-01-01T10:00:00.000Z"));
    await records.insert(session(2, "2026-01-01T09:30:00.000Z", "2026-01-01T11:00:00.000Z"));
    await records.insert(session(3, "2026-01-01T09:00:00.000Z", "2026-01-01T12:00:00.000Z"));
    await records.insert(session(4, "2026-01-01T08:00:00.000Z", "2026-01-01T12:00:00.000Z"));

    expect(await records.deleteExpired("2026-01-01T10:00:00.000Z")).toBe(1);
    expect(await records.findByIdHash("1".repeat(64))).toBeNull();
    expect(await records.deleteExpired("2026-01-01T10:30:00.000Z", "2026-01-01T08:30:00.000Z")).toBe(1);
    expect(await records.findByIdHash("4".repeat(64))).toBeNull();
    expect(await records.findByIdHash("2".repeat(64))).not.toBeNull();
    expect(await records.findByIdHash("3".repeat(64))).not.toBeNull();
  });
});
