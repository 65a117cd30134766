import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { TokenRecords, type NewTokenRecord } from "./token-records.ts";

function newToken(overrides: Partial<NewTokenRecord> = {}): NewTokenRecord {
  return {
    id: "01JTOKEN000000000000000001",
    description: "CI deploys",
    tokenHash: "a".repeat(64),
    fingerprint: "pb_abcd…wxyz",
    scopes: ["read", "write"],
    packagePatterns: ["acme/*"],
    expiresAt: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

describe.each(testEngines())("TokenRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<TokenRecords> {
    handle = await createTestDatabase(engine);
    return new TokenRecords(handle.db);
  }

  it("inserts and finds by hash and by id, parsing the JSON columns", async () => {
    const records = await open();
    const inserted = await records.insert(newToken({ expiresAt: "2027-01-01T00:00:00.000Z" }));
    const expected = {
      id: "01JTOKEN000000000000000001",
      description: "CI deploys",
      tokenHash: "a".repeat(64),
      fingerprint: "pb_abcd…wxyz",
      scopes: ["read", "write"],
      packagePatterns: ["acme/*"],
      expiresAt: "2027-01-01T00:00:00.000Z",
      revokedAt: null,
      lastUsedAt: null,
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      userId: null,
    };
    expect(inserted).toEqual(expected);
    expect(await records.findByHash("a".repeat(64))).toEqual(expected);
    expect(await records.findById("01JTOKEN000000000000000001")).toEqual(expected);
    expect(await records.findByHash("b".repeat(64))).toBeNull();
    expect(await records.findById("nope")).toBeNull();
  });

  it("refuses a second token with the same hash", async () => {
    const records = await open();
    await records.insert(newToken());
    await expect(records.insert(newToken({ id: "01JTOKEN000000000000000002" }))).rejects.toThrow();
  });

  it("lists newest first", async () => {
    const records = await open();
    await records.insert(
      newToken({ id: "01A", tokenHash: "1".repeat(64), createdAt: "2026-01-01T00:00:00.000Z" }),
    );
    await records.insert(
      newToken({ id: "01C", tokenHash: "3".repeat(64), createdAt: "2026-01-03T00:00:00.000Z" }),
    );
    await records.insert(
      newToken({ id: "01B", tokenHash: "2".repeat(64), createdAt: "2026-01-02T00:00:00.000Z" }),
    );
    await records.insert(
      newToken({ id: "01D", tokenHash: "4".repeat(64), createdAt: "2026-01-03T00:00:00.000Z" }),
    );
    expect((await records.list()).map((token) => token.id)).toEqual(["01D", "01C", "01B", "01A"]);
  });

  it("marks a token revoked once, keeping the first time", async () => {
    const records = await open();
    await records.insert(newToken());
    expect(await records.markRevoked("01JTOKEN000000000000000001", "2026-02-01T00:00:00.000Z")).toBe(true);
    expect(await records.markRevoked("01JTOKEN000000000000000001", "2026-03-01T00:00:00.000Z")).toBe(true);
    const token = await records.findById("01JTOKEN000000000000000001");
    expect(token?.revokedAt).toBe("2026-02-01T00:00:00.000Z");
    expect(token?.updatedAt).toBe("2026-02-01T00:00:00.000Z");
    expect(await records.markRevoked("missing", "2026-03-01T00:00:00.000Z")).toBe(false);
  });

  it("updates only the fields given", async () => {
    const records = await open();
    await records.insert(newToken({ expiresAt: "2027-01-01T00:00:00.000Z" }));
    const id = "01JTOKEN000000000000000001";
    expect(await records.update(id, { description: "renamed" }, "2026-01-02T00:00:00.000Z")).toBe(true);
    expect(await records.findById(id)).toMatchObject({
      description: "renamed",
      scopes: ["read", "write"],
      packagePatterns: ["acme/*"],
      expiresAt: "2027-01-01T00:00:00.000Z",
      updatedAt: "2026-01-02T00:00:00.000Z",
    });
    await records.update(
      id,
      { scopes: ["admin"], packagePatterns: [], expiresAt: null },
      "2026-01-03T00:00:00.000Z",
    );
    expect(await records.findById(id)).toMatchObject({
      description: "renamed",
      scopes: ["admin"],
      packagePatterns: [],
      expiresAt: null,
      updatedAt: "2026-01-03T00:00:00.000Z",
    });
    expect(await records.update("missing", { description: "x" }, "2026-01-03T00:00:00.000Z")).toBe(false);
  });

  it("touches last_used_at without moving it backwards or changing updated_at", async () => {
    const records = await open();
    await records.insert(newToken());
    const id = "01JTOKEN000000000000000001";
    await records.touchLastUsed(id, "2026-01-05T00:00:00.000Z");
    expect(await records.findById(id)).toMatchObject({
      lastUsedAt: "2026-01-05T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
    });
    await records.touchLastUsed(id, "2026-01-04T00:00:00.000Z");
    expect((await records.findById(id))?.lastUsedAt).toBe("2026-01-05T00:00:00.000Z");
    await records.touchLastUsed(id, "2026-01-06T00:00:00.000Z");
    expect((await records.findById(id))?.lastUsedAt).toBe("2026-01-06T00:00:00.000Z");
    await records.touchLastUsed("missing", "2026-01-06T00:00:00.000Z");
  });

  it("refuses to read a corrupt JSON column as 'every package'", async () => {
    const records = await open();
    await records.insert(newToken());
    await handle!.db.updateTable("tokens").set({ package_patterns: '[1, "acme/*"]' }).execute();
    await expect(records.findById("01JTOKEN000000000000000001")).rejects.toThrow(/not an array of strings/);
    await handle!.db.updateTable("tokens").set({ package_patterns: "{}" }).execute();
    await expect(records.findById("01JTOKEN000000000000000001")).rejects.toThrow(/not an array of strings/);
  });
});
