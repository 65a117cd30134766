import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { TokenRecords } from "../storage/database/token-records.ts";
import { requirePackage, requirePermission } from "./access-grant.ts";
import { generateToken, hashToken } from "./token-format.ts";
import { TokenService } from "./token-service.ts";
import { domainErrorOf } from "../../test/support/domain-error-of.ts";

const START = "2026-10-01T12:00:00.000Z";
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe.each(testEngines())("TokenService on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await handle?.close();
    handle = undefined;
  });

  async function setUp(options: { onBackgroundError?: (error: unknown) => void } = {}) {
    handle = await createTestDatabase(engine);
    const clock = new ManualClock(START);
    const records = new TokenRecords(handle.db);
    const service = new TokenService({ records, clock, ...options });
    return { clock, records, service };
  }

  describe("create", () => {
    it("returns the plaintext token once and a public record without the hash", async () => {
      const { service, records } = await setUp();
      const { token, record } = await service.create({ description: "  composer on CI  " });
      expect(token).toMatch(/^pb_[0-9A-Za-z]{38}$/);
      expect(record).toEqual({
        id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/) as unknown,
        description: "composer on CI",
        fingerprint: `pb_${token.slice(3, 7)}…${token.slice(-4)}`,
        scopes: ["read"],
        packagePatterns: [],
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
        createdAt: START,
        owner: null,
      });
      const shown = JSON.stringify([record, await service.list(), await service.get(record.id)]);
      expect(shown).not.toContain(hashToken(token));
      expect(shown).not.toContain(token);
      expect((await records.findByHash(hashToken(token)))?.id).toBe(record.id);
    });

    it("stores scopes, normalised patterns and the expiry", async () => {
      const { service } = await setUp();
      const { record } = await service.create({
        description: "deploy",
        scopes: ["admin", "read"],
        packagePatterns: ["ACME/*", "acme/*", "tools/cli"],
        expiresAt: new Date("2027-01-01T00:00:00Z"),
      });
      expect(record).toMatchObject({
        scopes: ["read", "admin"],
        packagePatterns: ["acme/*", "tools/cli"],
        expiresAt: "2027-01-01T00:00:00.000Z",
      });
    });

    it.each([
      ["an empty description", { description: "" }, "InvalidDescription"],
      ["a blank description", { description: " \t " }, "InvalidDescription"],
      ["a description over 200 characters", { description: "x".repeat(201) }, "InvalidDescription"],
      ["a description with a newline", { description: "a\nb" }, "InvalidDescription"],
      ["no scope", { description: "d", scopes: [] }, "InvalidScope"],
      ["an unknown scope", { description: "d", scopes: ["root" as "read"] }, "InvalidScope"],
      ["a bad pattern", { description: "d", packagePatterns: ["acme/(x)"] }, "InvalidPackagePattern"],
      ["an expiry now", { description: "d", expiresAt: new Date(START) }, "InvalidExpiry"],
      ["an expiry in the past", { description: "d", expiresAt: new Date("2026-01-01") }, "InvalidExpiry"],
      ["an invalid date", { description: "d", expiresAt: new Date("nope") }, "InvalidExpiry"],
    ])("refuses %s", async (_label, input, code) => {
      const { service } = await setUp();
      expect(await domainErrorOf(service.create(input))).toMatchObject({ kind: "invalid", code });
      expect(await service.list()).toEqual([]);
    });

    it("accepts 200 characters, counted as characters", async () => {
      const { service } = await setUp();
      await service.create({ description: "x".repeat(200) });
      await service.create({ description: "🔑".repeat(200) });
      expect(await service.list()).toHaveLength(2);
    });
  });

  describe("management", () => {
    it("lists newest first and gets by id", async () => {
      const { service, clock } = await setUp();
      const first = await service.create({ description: "first" });
      const second = await service.create({ description: "second, same millisecond" });
      clock.advance(MINUTE);
      const third = await service.create({ description: "third" });
      expect((await service.list()).map((token) => token.description)).toEqual([
        "third",
        "second, same millisecond",
        "first",
      ]);
      expect(await service.get(second.record.id)).toEqual(second.record);
      expect(third.record.createdAt).toBe("2026-10-01T12:01:00.000Z");
      expect(first.record.id < second.record.id).toBe(true);
    });

    it("refuses unknown ids with TokenNotFound", async () => {
      const { service } = await setUp();
      const attempts = [
        () => service.get("01UNKNOWN"),
        () => service.update("01UNKNOWN", { description: "x" }),
        () => service.update("01UNKNOWN", {}),
        () => service.revoke("01UNKNOWN"),
      ];
      for (const attempt of attempts) {
        expect(await domainErrorOf(attempt())).toMatchObject({ kind: "not-found", code: "TokenNotFound" });
      }
    });

    it("updates the fields given, validated as on creation", async () => {
      const { service, clock } = await setUp();
      const { token, record } = await service.create({
        description: "d",
        expiresAt: new Date("2026-12-01T00:00:00Z"),
      });
      clock.advance(MINUTE);
      const updated = await service.update(record.id, {
        description: " renamed ",
        scopes: ["write"],
        packagePatterns: ["acme/*"],
      });
      expect(updated).toMatchObject({
        description: "renamed",
        scopes: ["write"],
        packagePatterns: ["acme/*"],
        expiresAt: "2026-12-01T00:00:00.000Z",
      });
      expect(await service.update(record.id, { expiresAt: null })).toMatchObject({ expiresAt: null });
      expect(await domainErrorOf(service.update(record.id, { expiresAt: new Date(START) }))).toMatchObject({
        code: "InvalidExpiry",
      });
      expect(await domainErrorOf(service.update(record.id, { scopes: [] }))).toMatchObject({
        code: "InvalidScope",
      });
      const grant = await service.authenticate(token);
      expect(grant.hasScope("write")).toBe(true);
      expect(grant.canSeePackage("acme/x")).toBe(true);
      expect(grant.canSeePackage("other/x")).toBe(false);
    });

    it("revokes once: revoking again keeps the first time", async () => {
      const { service, clock } = await setUp();
      const { record } = await service.create({ description: "d" });
      clock.set("2026-11-01T08:00:00.000Z");
      expect((await service.revoke(record.id)).revokedAt).toBe("2026-11-01T08:00:00.000Z");
      clock.advance(DAY);
      expect((await service.revoke(record.id)).revokedAt).toBe("2026-11-01T08:00:00.000Z");
      expect((await service.get(record.id)).revokedAt).toBe("2026-11-01T08:00:00.000Z");
    });
  });

  describe("authenticate", () => {
    it("grants what the token holds", async () => {
      const { service } = await setUp();
      const { token, record } = await service.create({
        description: "d",
        scopes: ["write"],
        packagePatterns: ["acme/*"],
      });
      const grant = await service.authenticate(token);
      expect(grant.tokenId).toBe(record.id);
      expect(grant.fingerprint).toBe(record.fingerprint);
      expect(grant.scopes).toEqual(["write"]);
      expect(grant.hasScope("read")).toBe(true);
      expect(grant.hasScope("write")).toBe(true);
      expect(grant.hasScope("admin")).toBe(false);
      expect(() => {
        requirePermission(grant, "tokens:manage");
      }).toThrow('this token lacks the "admin" scope');
      expect(grant.canSeePackage("acme/pkg")).toBe(true);
      expect(grant.canSeePackage("ACME/Pkg")).toBe(true);
      expect(grant.canSeePackage("acmex/pkg")).toBe(false);
      expect(() => {
        requirePackage(grant, "other/pkg");
      }).toThrow("this token may not access other/pkg");
    });

    it("lets an admin token do everything and an unrestricted token see every package", async () => {
      const { service } = await setUp();
      const { token } = await service.create({ description: "d", scopes: ["admin"] });
      const grant = await service.authenticate(token);
      expect(["read", "write", "admin"].every((scope) => grant.hasScope(scope as "read"))).toBe(true);
      expect(grant.canSeePackage("any/thing")).toBe(true);
    });

    it("refuses garbage without a database lookup", async () => {
      const { service, records } = await setUp();
      const { token } = await service.create({ description: "d" });
      const lookup = vi.spyOn(records, "findByHash");
      const typo = `${token.slice(0, 10)}${token.charAt(10) === "a" ? "b" : "a"}${token.slice(11)}`;
      const garbage = [
        "",
        "hunter2",
        "pb_short",
        typo,
        ` ${token}`,
        token.toLowerCase(),
        `pb_${"A".repeat(100_000)}`,
      ];
      for (const candidate of garbage) {
        expect(await domainErrorOf(service.authenticate(candidate))).toMatchObject({
          kind: "unauthenticated",
          code: "InvalidToken",
          message: "The token is not valid",
        });
      }
      expect(lookup).not.toHaveBeenCalled();
    });

    it("refuses a well-shaped token that was never issued, after one lookup", async () => {
      const { service, records } = await setUp();
      await service.create({ description: "d" });
      const lookup = vi.spyOn(records, "findByHash");
      const error = await domainErrorOf(service.authenticate(generateToken()));
      expect(error).toMatchObject({
        kind: "unauthenticated",
        code: "InvalidToken",
        message: "The token is not valid",
      });
      expect(lookup).toHaveBeenCalledTimes(1);
    });

    it("refuses a revoked token on its very next request, even when another process revoked it", async () => {
      const { service, clock } = await setUp();
      const { token, record } = await service.create({ description: "d" });
      await service.authenticate(token);
      const otherProcess = new TokenService({ records: new TokenRecords(handle!.db), clock });
      clock.set("2026-11-01T23:59:00.000Z");
      await otherProcess.revoke(record.id);
      const error = await domainErrorOf(service.authenticate(token));
      expect(error).toMatchObject({
        kind: "forbidden",
        code: "TokenRevoked",
        message: "token was revoked on 2026-11-01",
      });
    });

    it("refuses an expired token from the expiry instant on", async () => {
      const { service, clock } = await setUp();
      const expiresAt = new Date("2026-11-01T10:00:00.000Z");
      const { token } = await service.create({ description: "d", expiresAt });
      clock.set(new Date(expiresAt.getTime() - 1));
      await expect(service.authenticate(token)).resolves.toBeDefined();
      clock.set(expiresAt);
      expect(await domainErrorOf(service.authenticate(token))).toMatchObject({
        kind: "forbidden",
        code: "TokenExpired",
        message: "token expired on 2026-11-01, create a new one",
      });
      clock.advance(DAY);
      expect(await domainErrorOf(service.authenticate(token))).toMatchObject({ code: "TokenExpired" });
    });

    it("reports revocation before expiry", async () => {
      const { service, clock } = await setUp();
      const { token, record } = await service.create({ description: "d", expiresAt: new Date("2026-10-02") });
      await service.revoke(record.id);
      clock.set("2026-12-01T00:00:00.000Z");
      expect(await domainErrorOf(service.authenticate(token))).toMatchObject({ code: "TokenRevoked" });
    });

    it("sees changes to the token's scopes and patterns at once", async () => {
      const { service } = await setUp();
      const { token, record } = await service.create({ description: "d", packagePatterns: ["acme/*"] });
      expect((await service.authenticate(token)).canSeePackage("other/x")).toBe(false);
      await service.update(record.id, { packagePatterns: ["other/*"], scopes: ["admin"] });
      const grant = await service.authenticate(token);
      expect(grant.canSeePackage("other/x")).toBe(true);
      expect(grant.canSeePackage("acme/x")).toBe(false);
      expect(grant.hasScope("admin")).toBe(true);
    });
  });

  describe("last used", () => {
    it("is written at most once a minute per token", async () => {
      const { service, records, clock } = await setUp();
      const { token, record } = await service.create({ description: "d" });
      const other = await service.create({ description: "other" });
      const touch = vi.spyOn(records, "touchLastUsed");

      await service.authenticate(token);
      await service.drain();
      expect((await service.get(record.id)).lastUsedAt).toBe(START);

      clock.advance(30_000);
      await service.authenticate(token);
      await service.authenticate(other.token);
      clock.advance(29_999);
      await service.authenticate(token);
      await service.drain();
      expect((await service.get(record.id)).lastUsedAt).toBe(START);
      expect(touch).toHaveBeenCalledTimes(2);

      clock.advance(1);
      await service.authenticate(token);
      await service.drain();
      expect((await service.get(record.id)).lastUsedAt).toBe("2026-10-01T12:01:00.000Z");
      expect((await service.get(other.record.id)).lastUsedAt).toBe("2026-10-01T12:00:30.000Z");
      expect(touch).toHaveBeenCalledTimes(3);
    });

    it("is not written again by another process within the minute (the row says so)", async () => {
      const { service, records, clock } = await setUp();
      const { token } = await service.create({ description: "d" });
      await service.authenticate(token);
      await service.drain();
      const otherProcess = new TokenService({ records, clock });
      const touch = vi.spyOn(records, "touchLastUsed");
      clock.advance(10_000);
      await otherProcess.authenticate(token);
      await otherProcess.drain();
      expect(touch).not.toHaveBeenCalled();
    });

    it("does not hold up the response", async () => {
      const { service, records } = await setUp();
      const { token } = await service.create({ description: "d" });
      vi.spyOn(records, "touchLastUsed").mockReturnValue(new Promise<void>(() => undefined));
      const grant = await service.authenticate(token);
      expect(grant.hasScope("read")).toBe(true);
    });

    it("reports a failed write instead of rejecting, and retries on the next request", async () => {
      const reported: unknown[] = [];
      const { service, records, clock } = await setUp({ onBackgroundError: (error) => reported.push(error) });
      const { token, record } = await service.create({ description: "d" });
      const touch = vi.spyOn(records, "touchLastUsed").mockRejectedValueOnce(new Error("database is locked"));
      await service.authenticate(token);
      await service.drain();
      expect(reported).toEqual([new Error("database is locked")]);
      clock.advance(1000);
      await service.authenticate(token);
      await service.drain();
      expect(touch).toHaveBeenCalledTimes(2);
      expect((await service.get(record.id)).lastUsedAt).toBe("2026-10-01T12:00:01.000Z");
    });

    it("survives a throwing error reporter", async () => {
      const { service, records } = await setUp({
        onBackgroundError: () => {
          throw new Error("reporter broke");
        },
      });
      const { token } = await service.create({ description: "d" });
      vi.spyOn(records, "touchLastUsed").mockRejectedValueOnce(new Error("boom"));
      await service.authenticate(token);
      await service.drain();
    });
  });
});
