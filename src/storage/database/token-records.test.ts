import { afterEach, describe, expect, it } from "vitest";
import { insertUsers } from "../../../test/builders/stored-users.ts";
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
    expect(await records.findByHash("a".repeat(64))).toEqual({ ...expected, owner: null });
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

  it("reads a personal token with its owner's role and status in one query", async () => {
    const records = await open();
    await insertUsers(handle!.db, ["ada"]);
    await records.insert(newToken({ userId: "usr_ada" }));
    await records.insert(newToken({ id: "01B", tokenHash: "b".repeat(64), userId: "usr_gone" }));
    const queries: string[] = [];
    const counted = new TokenRecords(
      handle!.db.withPlugin({
        transformQuery: (args) => {
          queries.push(args.node.kind);
          return args.node;
        },
        transformResult: (args) => Promise.resolve(args.result),
      }),
    );
    expect(await counted.findByHash("a".repeat(64))).toMatchObject({
      userId: "usr_ada",
      owner: { id: "usr_ada", role: "viewer", status: "active" },
    });
    expect(queries).toEqual(["SelectQueryNode"]);
    await handle!.db.updateTable("users").set({ status: "blocked", role: "auditor" }).execute();
    expect((await records.findByHash("a".repeat(64)))?.owner).toEqual({
      id: "usr_ada",
      role: "auditor",
      status: "blocked",
    });
    // No user row at all (removed behind the server's back): counts as deleted.
    expect((await records.findByHash("b".repeat(64)))?.owner).toEqual({
      id: "usr_gone",
      role: null,
      status: "deleted",
    });
    expect(await records.findOwner("usr_ada")).toEqual({ id: "usr_ada", role: "auditor", status: "blocked" });
    expect(await records.findOwner("usr_gone")).toBeNull();
  });

  it("lists, changes and revokes the tokens of one owner only when asked to", async () => {
    const records = await open();
    await insertUsers(handle!.db, ["ada", "bob"]);
    await records.insert(newToken({ id: "01A", tokenHash: "1".repeat(64), userId: "usr_ada" }));
    await records.insert(newToken({ id: "01B", tokenHash: "2".repeat(64), userId: "usr_bob" }));
    await records.insert(newToken({ id: "01C", tokenHash: "3".repeat(64) }));
    await records.insert(newToken({ id: "01D", tokenHash: "4".repeat(64), userId: "usr_ada" }));
    expect((await records.list({ userId: "usr_ada" })).map((t) => t.id)).toEqual(["01D", "01A"]);
    expect(await records.list()).toHaveLength(4);
    const at = "2026-02-01T00:00:00.000Z";
    expect(await records.update("01B", { description: "x" }, at, { userId: "usr_ada" })).toBe(false);
    expect(await records.markRevoked("01B", at, { userId: "usr_ada" })).toBe(false);
    expect(await records.findById("01B")).toMatchObject({ description: "CI deploys", revokedAt: null });
    expect(await records.update("01A", { description: "mine" }, at, { userId: "usr_ada" })).toBe(true);
    expect(await records.markRevoked("01A", at, { userId: "usr_ada" })).toBe(true);
    expect(await records.findById("01A")).toMatchObject({ description: "mine", revokedAt: at });
  });

  it("revokes every live token of an owner, keeping earlier revocations", async () => {
    const records = await open();
    await insertUsers(handle!.db, ["ada"]);
    await records.insert(newToken({ id: "01A", tokenHash: "1".repeat(64), userId: "usr_ada" }));
    await records.insert(newToken({ id: "01B", tokenHash: "2".repeat(64), userId: "usr_ada" }));
    await records.insert(newToken({ id: "01C", tokenHash: "3".repeat(64) }));
    await records.markRevoked("01A", "2026-01-15T00:00:00.000Z");
    expect(await records.revokeAllOwnedBy("usr_ada", "2026-02-01T00:00:00.000Z")).toBe(1);
    expect((await records.findById("01A"))?.revokedAt).toBe("2026-01-15T00:00:00.000Z");
    expect((await records.findById("01B"))?.revokedAt).toBe("2026-02-01T00:00:00.000Z");
    expect((await records.findById("01C"))?.revokedAt).toBeNull();
    expect(await records.revokeAllOwnedBy("usr_ada", "2026-03-01T00:00:00.000Z")).toBe(0);
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
