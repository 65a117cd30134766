import type { KyselyPlugin } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { TokenRecords } from "../storage/database/token-records.ts";
import { UserRecords } from "../storage/database/user-records.ts";
import { requirePermission, type AccessGrant } from "./access-grant.ts";
import type { Permission } from "./permission.ts";
import { TokenService } from "./token-service.ts";
import type { UserRole } from "./user-role.ts";
import { UserService } from "./user-service.ts";
import { domainErrorOf } from "../../test/support/domain-error-of.ts";

const START = "2026-10-01T12:00:00.000Z";

/** The refusal of `requirePermission(grant, permission)`. */
function refusal(grant: AccessGrant, permission: Permission): DomainError {
  try {
    requirePermission(grant, permission);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

/** Counts the queries sent through the Kysely instance it is plugged into. */
function queryCounter(): KyselyPlugin & { readonly kinds: string[] } {
  const kinds: string[] = [];
  return {
    kinds,
    transformQuery: (args) => {
      kinds.push(args.node.kind);
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
}

describe.each(testEngines())("personal tokens on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await handle?.close();
    handle = undefined;
  });

  async function setUp() {
    handle = await createTestDatabase(engine);
    const clock = new ManualClock(START);
    const counter = queryCounter();
    const records = new TokenRecords(handle.db.withPlugin(counter));
    const tokens = new TokenService({ records, clock });
    const users = new UserService({
      records: new UserRecords(handle.db),
      clock,
      subjects: { register: () => Promise.resolve() },
    });
    // An admin who stays, so the people under test may be demoted, blocked and deleted.
    await users.create({ email: "root@example.org", role: "admin" });
    const person = async (role: UserRole, email = `${role}@example.org`) => users.create({ email, role });
    return { clock, counter, records, tokens, users, person };
  }

  const sorted = (permissions: ReadonlySet<Permission>) => [...permissions].sort();

  it("authenticates in one query, the token and its owner together", async () => {
    const { tokens, person, counter } = await setUp();
    const owner = await person("maintainer");
    const { token, record } = await tokens.create({ description: "laptop", ownerId: owner.id });
    expect(record.owner).toEqual({ id: owner.id });
    counter.kinds.length = 0;
    await tokens.authenticate(token);
    await tokens.drain();
    // The read, and the background `last_used_at` write (at most once a minute, never awaited).
    expect(counter.kinds).toEqual(["SelectQueryNode", "UpdateQueryNode"]);
    counter.kinds.length = 0;
    const grant = await tokens.authenticate(token);
    await tokens.drain();
    expect(counter.kinds).toEqual(["SelectQueryNode"]);
    expect(grant).toMatchObject({
      via: "token",
      tokenId: record.id,
      user: { id: owner.id, role: "maintainer" },
    });
  });

  it("refuses the token while its owner is blocked and accepts it again once unblocked", async () => {
    const { tokens, users, person } = await setUp();
    const owner = await person("viewer");
    const { token } = await tokens.create({ description: "ci", ownerId: owner.id });
    await tokens.authenticate(token);
    await users.update(owner.id, { status: "blocked" });
    expect(await domainErrorOf(tokens.authenticate(token))).toMatchObject({
      kind: "forbidden",
      code: "TokenOwnerBlocked",
      message: "the account that owns this token is blocked; the token works again if it is unblocked",
    });
    await users.update(owner.id, { status: "active" });
    expect((await tokens.authenticate(token)).permissions.has("packages:read")).toBe(true);
  });

  it("narrows an admin's admin token to the viewer role at once when the owner is demoted", async () => {
    const { tokens, users, person } = await setUp();
    const owner = await person("admin", "second-admin@example.org");
    const { token } = await tokens.create({ description: "all", scopes: ["admin"], ownerId: owner.id });
    const before = await tokens.authenticate(token);
    expect(before.permissions.has("users:manage")).toBe(true);
    expect(before.hasScope("admin")).toBe(true);
    await users.update(owner.id, { role: "viewer" });
    const after = await tokens.authenticate(token);
    expect(sorted(after.permissions)).toEqual(["packages:read", "repositories:read"]);
    expect(after.user).toEqual({ id: owner.id, role: "viewer" });
    expect(after.scopes).toEqual(["admin"]);
    expect(after.hasScope("read")).toBe(true);
    expect(after.hasScope("write")).toBe(false);
    expect(after.hasScope("admin")).toBe(false);
  });

  it("gives an auditor's admin token audit:read only, and not even packages", async () => {
    const { tokens, person } = await setUp();
    const owner = await person("auditor");
    const { token } = await tokens.create({ description: "siem", scopes: ["admin"], ownerId: owner.id });
    const grant = await tokens.authenticate(token);
    expect(sorted(grant.permissions)).toEqual(["audit:read"]);
    expect(grant.hasScope("read")).toBe(false);
    expect(refusal(grant, "packages:read")).toMatchObject({
      kind: "forbidden",
      code: "InsufficientRole",
      message: "this token's owner has the auditor role, which does not allow packages:read",
      extensions: { required_permission: "packages:read" },
    });
  });

  it("never lets a viewer's token reach tokens:manage, whatever its scope", async () => {
    const { tokens, person } = await setUp();
    const owner = await person("viewer");
    const admin = await tokens.create({ description: "wide", scopes: ["admin"], ownerId: owner.id });
    const read = await tokens.create({ description: "narrow", scopes: ["read"], ownerId: owner.id });
    const wide = await tokens.authenticate(admin.token);
    expect(refusal(wide, "tokens:manage")).toMatchObject({
      code: "InsufficientRole",
    });
    requirePermission(wide, "repositories:read");
    // The role allows repositories:read, the read scope does not: a wider scope would help.
    const narrow = await tokens.authenticate(read.token);
    expect(refusal(narrow, "repositories:read")).toMatchObject({
      code: "InsufficientScope",
      message: 'this token lacks the "admin" scope',
    });
  });

  it("refuses the token of a deleted owner: revoked by the deletion, or refused as deleted", async () => {
    const { tokens, users, person } = await setUp();
    const owner = await person("maintainer");
    const { token, record } = await tokens.create({ description: "ci", ownerId: owner.id });
    const late = await tokens.create({ description: "late", ownerId: owner.id });
    await users.delete(owner.id);
    expect(await domainErrorOf(tokens.authenticate(token))).toMatchObject({
      kind: "forbidden",
      code: "TokenRevoked",
    });
    expect((await tokens.get(record.id)).revokedAt).toBe(START);
    // As if `late` had been created while the deletion ran, after it revoked the owner's tokens.
    await handle!.db
      .updateTable("tokens")
      .set({ revoked_at: null })
      .where("id", "=", late.record.id)
      .execute();
    expect(await domainErrorOf(tokens.authenticate(late.token))).toMatchObject({
      kind: "forbidden",
      code: "TokenOwnerDeleted",
    });
  });

  it("leaves tokens without an owner as they were", async () => {
    const { tokens } = await setUp();
    const { token, record } = await tokens.create({ description: "machine", scopes: ["admin"] });
    expect(record.owner).toBeNull();
    const grant = await tokens.authenticate(token);
    expect(grant).toMatchObject({ via: "token", user: null });
    expect(grant.permissions.has("users:manage")).toBe(true);
    const reader = await tokens.authenticate((await tokens.create({ description: "r" })).token);
    expect(refusal(reader, "tokens:manage")).toMatchObject({
      code: "InsufficientScope",
    });
  });

  describe("creation", () => {
    it("refuses scopes that allow nothing the role allows, naming the scope that would", async () => {
      const { tokens, person } = await setUp();
      const owner = await person("auditor");
      expect(
        await domainErrorOf(
          tokens.create({ description: "x", scopes: ["read", "write"], ownerId: owner.id }),
        ),
      ).toMatchObject({
        kind: "invalid",
        code: "ScopeOutsideRole",
        message:
          "the scopes read, write allow nothing the auditor role allows (audit:read); a personal token never allows more than its owner's role: use the admin scope",
      });
      expect(await tokens.list()).toEqual([]);
    });

    it("refuses an owner who is unknown, deleted or blocked", async () => {
      const { tokens, users, person } = await setUp();
      expect(await domainErrorOf(tokens.create({ description: "x", ownerId: "usr_nobody" }))).toMatchObject({
        kind: "not-found",
        code: "UserNotFound",
      });
      const blocked = await person("viewer", "blocked@example.org");
      await users.update(blocked.id, { status: "blocked" });
      expect(await domainErrorOf(tokens.create({ description: "x", ownerId: blocked.id }))).toMatchObject({
        kind: "conflict",
        code: "UserBlocked",
      });
      const gone = await person("viewer", "gone@example.org");
      await users.delete(gone.id);
      expect(await domainErrorOf(tokens.create({ description: "x", ownerId: gone.id }))).toMatchObject({
        code: "UserNotFound",
      });
      expect(await tokens.list()).toEqual([]);
    });

    it("applies the same rule when a personal token's scopes change", async () => {
      const { tokens, person } = await setUp();
      const owner = await person("auditor");
      const { record } = await tokens.create({ description: "x", scopes: ["admin"], ownerId: owner.id });
      expect(await domainErrorOf(tokens.update(record.id, { scopes: ["read"] }))).toMatchObject({
        code: "ScopeOutsideRole",
      });
      expect((await tokens.get(record.id)).scopes).toEqual(["admin"]);
    });
  });

  describe("a person's own tokens", () => {
    it("lists by owner and treats another person's token as unknown", async () => {
      const { tokens, person } = await setUp();
      const ada = await person("maintainer", "ada@example.org");
      const bob = await person("maintainer", "bob@example.org");
      const adas = await tokens.create({ description: "ada's", ownerId: ada.id });
      const bobs = await tokens.create({ description: "bob's", ownerId: bob.id });
      await tokens.create({ description: "machine" });
      expect((await tokens.list({ ownerId: ada.id })).map((t) => t.id)).toEqual([adas.record.id]);
      expect(await tokens.list()).toHaveLength(3);

      const asAda = { ownerId: ada.id };
      const attempts = [
        () => tokens.get(bobs.record.id, asAda),
        () => tokens.update(bobs.record.id, { description: "mine now" }, asAda),
        () => tokens.update(bobs.record.id, { scopes: ["admin"] }, asAda),
        () => tokens.revoke(bobs.record.id, asAda),
      ];
      for (const attempt of attempts) {
        expect(await domainErrorOf(attempt())).toMatchObject({
          kind: "not-found",
          code: "TokenNotFound",
          message: `there is no token with id "${bobs.record.id}"`,
        });
      }
      expect(await tokens.get(bobs.record.id)).toMatchObject({ description: "bob's", revokedAt: null });

      expect(await tokens.update(adas.record.id, { description: "renamed" }, asAda)).toMatchObject({
        description: "renamed",
      });
      expect((await tokens.revoke(adas.record.id, asAda)).revokedAt).toBe(START);
    });
  });
});
