import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createPostgresDatabase,
  createTestDatabase,
  testEngines,
  type EngineName,
} from "../../test/support/test-databases.ts";
import { consoleContext, type AuditActor, type AuditEvent } from "../audit/audit-event.ts";
import { AuditLog } from "../audit/audit-log.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { auditTrail, type AuditTrail } from "../audit/audit-trail.ts";
import { AuditRetention } from "../audit/retention/audit-retention.ts";
import { ManualClock } from "../clock/clock.ts";
import { AuditPurgeRecords } from "../storage/database/audit-purge-records.ts";
import { AuditRecords } from "../storage/database/audit-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import { migrateToLatest } from "../storage/database/migrate-to-latest.ts";
import { openPostgresDatabase } from "../storage/database/postgres-database.ts";
import { SettingsRecords } from "../storage/database/settings-records.ts";
import { openSqliteDatabase } from "../storage/database/sqlite-database.ts";
import { UserRecords } from "../storage/database/user-records.ts";
import { SettingsService } from "./settings-service.ts";

const ADMIN: AuditActor = { type: "user", id: "usr_admin", auth_method: "session" };
const SECURE_ADMIN: AuditActor = { type: "user", id: "usr_secure", auth_method: "session" };
const TOKEN: AuditActor = { type: "token", id: "pb_Ab3d…x9Yz", auth_method: "bearer" };

interface Node {
  readonly settings: SettingsService;
  readonly log: AuditLog;
  readonly trail: (actor?: AuditActor) => AuditTrail;
}

describe.each(testEngines())("SettingsService on %s", (engine) => {
  const handles: DatabaseHandle[] = [];
  const directories: string[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
    for (const directory of directories.splice(0)) fs.rmSync(directory, { recursive: true, force: true });
  });

  const clock = new ManualClock("2026-03-02T09:00:00.000Z");

  /** A process on the database: its own services, its own audit log and its own update lock. */
  function node(handle: DatabaseHandle): Node {
    const log = new AuditLog({ records: new AuditRecords(handle.db), clock, onCommitted: () => undefined });
    const records = new SettingsRecords(handle.db);
    const leases = new JobLeaseRecords(handle.db);
    const settings = new SettingsService({
      records,
      retention: new AuditRetention({
        settings: records,
        purges: new AuditPurgeRecords(handle.db),
        leases,
        clock,
      }),
      users: new UserRecords(handle.db),
      leases,
      clock,
    });
    return {
      settings,
      log,
      trail: (actor) => auditTrail(log, actor === undefined ? consoleContext : { ...consoleContext, actor }),
    };
  }

  async function open(): Promise<{ handle: DatabaseHandle; a: Node }> {
    const handle = await createTestDatabase(engine);
    handles.push(handle);
    const users = new UserRecords(handle.db);
    for (const id of ["usr_admin", "usr_secure"]) {
      await users.insert({
        id,
        email: `${id}@example.org`,
        name: null,
        role: "admin",
        passwordHash: null,
        createdAt: clock.now().toISOString(),
      });
    }
    await users.setTotp("usr_secure", "v1.sealed", "2026-03-01T00:00:00.000Z", clock.now().toISOString());
    return { handle, a: node(handle) };
  }

  /** Two handles on one database, as two processes would have (a file for SQLite). */
  async function openShared(name: EngineName): Promise<[DatabaseHandle, DatabaseHandle]> {
    if (name === "sqlite") {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "pb-settings-"));
      directories.push(directory);
      const file = path.join(directory, "broker.sqlite");
      const first = openSqliteDatabase(file);
      await migrateToLatest(first.db);
      const second = openSqliteDatabase(file);
      handles.push(first, second);
      return [first, second];
    }
    const url = await createPostgresDatabase();
    const first = openPostgresDatabase(url, { maxConnections: 5 });
    await migrateToLatest(first.db);
    const second = openPostgresDatabase(url, { maxConnections: 5 });
    handles.push(first, second);
    return [first, second];
  }

  async function events(handle: DatabaseHandle, action?: string): Promise<AuditEvent[]> {
    const found: AuditEvent[] = [];
    for await (const row of new AuditRecords(handle.db).scan()) {
      const event = rowToEvent(row);
      if (action === undefined || `${event.event}.${event.action}` === action) found.push(event);
    }
    return found;
  }

  it("has a document of defaults before anything is set", async () => {
    const { handle, a } = await open();
    const document = await a.settings.get();
    expect(document.security).toEqual({ requireTwoFactor: false });
    expect(Object.values(document.audit.retentionDays)).toEqual(Array(10).fill(365));
    expect(document.audit.legalHold).toEqual({ active: false, reason: null, since: null, by: null });
    expect(await a.settings.requireTwoFactor()).toBe(false);
    expect(await events(handle)).toEqual([]);
  });

  it("changes a setting with one event holding before and after of the changed key only", async () => {
    const { handle, a } = await open();
    const document = await a.settings.update({ security: { requireTwoFactor: true } }, a.trail());
    expect(document.security.requireTwoFactor).toBe(true);
    expect(await a.settings.requireTwoFactor()).toBe(true);
    // Only what was set is stored: settings never set keep following their defaults.
    expect(await new SettingsRecords(handle.db).get("runtime")).toEqual({
      "security.requireTwoFactor": true,
    });
    const [event, ...more] = await events(handle);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      event: "configuration",
      action: "settings_changed",
      outcome: "success",
      severity: "warning",
      actor: { type: "console", id: "console" },
      target: { type: "settings" },
      details: {
        before: { "security.requireTwoFactor": false },
        after: { "security.requireTwoFactor": true },
      },
    });
    // The same value again changes nothing and records nothing.
    await a.settings.update({ security: { requireTwoFactor: true } }, a.trail());
    expect(await events(handle)).toHaveLength(1);
  });

  it("refuses hostile patches with field paths, storing nothing", async () => {
    const { handle, a } = await open();
    let deep: unknown = true;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    let deepKnown: unknown = { requireTwoFactor: true };
    for (let i = 0; i < 10_000; i++) deepKnown = { security: deepKnown };
    const manyKeys = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${String(i)}`, i]));
    const cases: [unknown, string[]][] = [
      [{ security: { requireTwoFactor: true, sneaky: 1 } }, ["security.sneaky"]],
      [{ foo: 1 }, ["foo"]],
      [{ security: { requireTwoFactor: "true" } }, ["security.requireTwoFactor"]],
      [{ security: { requireTwoFactor: 1 } }, ["security.requireTwoFactor"]],
      [{ security: { requireTwoFactor: null } }, ["security.requireTwoFactor"]],
      [{ security: null }, ["security"]],
      [{ security: [true] }, ["security"]],
      [null, [""]],
      [undefined, [""]],
      [[], [""]],
      ["security.requireTwoFactor=true", [""]],
      [42, [""]],
      [{}, [""]],
      [{ security: {} }, [""]],
      [{ security: { requireTwoFactor: "x".repeat(1_000_000) } }, ["security.requireTwoFactor"]],
      [{ ["k".repeat(1_000_000)]: true }, [`${"k".repeat(64)}…`]],
      [{ "bad\nkey\u0000": true }, ["bad?key?"]],
      [deep, ["a"]],
      [{ security: { requireTwoFactor: deep } }, ["security.requireTwoFactor"]],
      [deepKnown, ["security.security"]],
      [JSON.parse('{"__proto__": {"security": {"requireTwoFactor": true}}}'), ["__proto__"]],
      [{ audit: { legalHold: { active: false } } }, ["audit.legalHold"]],
      [{ audit: { retentionDays: { authentication: 0 } } }, ["audit.retentionDays.authentication"]],
      [{ audit: { retentionDays: { authentication: 36_501 } } }, ["audit.retentionDays.authentication"]],
      [{ audit: { retentionDays: { authentication: 1.5 } } }, ["audit.retentionDays.authentication"]],
      [{ audit: { retentionDays: { nope: 30 } } }, ["audit.retentionDays.nope"]],
      [{ audit: { retentionDays: 30 } }, ["audit.retentionDays"]],
      [
        { security: { requireTwoFactor: true }, audit: { retentionDays: { token: -1 } } },
        ["audit.retentionDays.token"],
      ],
    ];
    for (const [patch, paths] of cases) {
      const error = await a.settings.update(patch, a.trail()).then(
        () => new Error("the patch was accepted"),
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ kind: "invalid", code: "InvalidSettings" });
      const { errors } = (error as { extensions: { errors: { path: string; message: string }[] } })
        .extensions;
      expect(errors.map((problem) => problem.path)).toEqual(paths);
      expect((error as Error).message.length).toBeLessThan(2000);
    }
    const many = await a.settings.update(manyKeys, a.trail()).catch((e: unknown) => e);
    expect((many as { extensions: { errors: unknown[] } }).extensions.errors).toHaveLength(20);

    expect(await a.settings.get()).toMatchObject({
      security: { requireTwoFactor: false },
      audit: { retentionDays: { token: 365, authentication: 365 } },
    });
    const refused = await events(handle);
    expect(refused).toHaveLength(cases.length + 1);
    expect(refused.every((event) => event.action === "settings_changed" && event.outcome === "failure")).toBe(
      true,
    );
    expect(refused[0]?.details).toEqual({ code: "InvalidSettings", errors: ["security.sneaky"] });
    expect(JSON.stringify(refused).length).toBeLessThan(100_000);
  });

  it("lets nobody without 2FA of their own require it of everyone", async () => {
    const { handle, a } = await open();
    const on = { security: { requireTwoFactor: true } };
    await expect(a.settings.update(on, a.trail(ADMIN))).rejects.toMatchObject({
      kind: "conflict",
      code: "TwoFactorRequiredForPolicy",
    });
    expect(await a.settings.requireTwoFactor()).toBe(false);
    expect((await events(handle)).at(-1)).toMatchObject({
      action: "settings_changed",
      outcome: "denied",
      actor: ADMIN,
      details: { code: "TwoFactorRequiredForPolicy" },
    });
    // A retention change in the same patch is refused with it: nothing is half-applied.
    await expect(
      a.settings.update({ ...on, audit: { retentionDays: { token: 30 } } }, a.trail(ADMIN)),
    ).rejects.toMatchObject({ code: "TwoFactorRequiredForPolicy" });
    expect((await a.settings.get()).audit.retentionDays.token).toBe(365);
    // An unknown person is no exception.
    await expect(a.settings.update(on, a.trail({ ...ADMIN, id: "usr_gone" }))).rejects.toMatchObject({
      code: "TwoFactorRequiredForPolicy",
    });

    await a.settings.update(on, a.trail(SECURE_ADMIN));
    expect(await a.settings.requireTwoFactor()).toBe(true);
    // Turning it off needs nothing of the kind; the console and tokens are not sessions.
    await a.settings.update({ security: { requireTwoFactor: false } }, a.trail(ADMIN));
    await a.settings.update(on, a.trail(TOKEN));
    await a.settings.update({ security: { requireTwoFactor: false } }, a.trail());
    await a.settings.update(on, a.trail());
    expect(await a.settings.requireTwoFactor()).toBe(true);
  });

  it("changes retention in the same patch through the audit retention, with one event each", async () => {
    const { handle, a } = await open();
    const document = await a.settings.update(
      { security: { requireTwoFactor: true }, audit: { retentionDays: { authentication: 730, token: 365 } } },
      a.trail(),
    );
    expect(document.audit.retentionDays).toMatchObject({ authentication: 730, token: 365 });
    const all = await events(handle);
    expect(all.map((event) => `${event.event}.${event.action}`)).toEqual([
      "audit.retention_changed",
      "configuration.settings_changed",
    ]);
    // Only the category that changed, and no retention in the configuration event.
    expect(all[0]?.details).toEqual({ changed: { authentication: { before: 365, after: 730 } } });
    expect(all[1]?.details).toEqual({
      before: { "security.requireTwoFactor": false },
      after: { "security.requireTwoFactor": true },
    });
    await a.settings.update({ audit: { retentionDays: { authentication: 730 } } }, a.trail());
    await a.settings.update({ audit: { retentionDays: { package: 90 } } }, a.trail());
    const later = (await events(handle)).slice(2);
    expect(later.map((event) => `${event.event}.${event.action}`)).toEqual(["audit.retention_changed"]);
    expect((await a.settings.get()).audit.retentionDays).toMatchObject({ authentication: 730, package: 90 });
  });

  it("shows what another process changed at once: nothing is cached", async () => {
    const [first, second] = await openShared(engine);
    const a = node(first);
    const b = node(second);
    expect(await b.settings.requireTwoFactor()).toBe(false);
    await a.settings.update({ security: { requireTwoFactor: true } }, a.trail());
    await a.log.flush();
    expect(await b.settings.requireTwoFactor()).toBe(true);
    expect((await b.settings.get()).security.requireTwoFactor).toBe(true);
    await b.settings.update(
      { security: { requireTwoFactor: false }, audit: { retentionDays: { system: 30 } } },
      b.trail(),
    );
    await b.log.flush();
    expect(await a.settings.requireTwoFactor()).toBe(false);
    expect((await a.settings.get()).audit.retentionDays.system).toBe(30);
  });

  it("keeps a before/after chain when updates race, within and across processes", async () => {
    const [first, second]: [DatabaseHandle, DatabaseHandle] =
      engine === "postgres" ? await openShared(engine) : await open().then(({ handle }) => [handle, handle]);
    // Two processes: each its own update lock; on SQLite one connection (as better-sqlite3 allows).
    const a = node(first);
    const b = engine === "postgres" ? node(second) : { ...node(second), log: a.log, trail: a.trail };
    const updates = Array.from({ length: 24 }, (_, i) => {
      const target = i % 2 === 0 ? a : b;
      const value = i % 3 !== 0;
      return target.settings.update(
        { security: { requireTwoFactor: value }, audit: { retentionDays: { token: 100 + (i % 5) } } },
        target.trail(),
      );
    });
    await Promise.all(updates);
    await a.log.flush();
    await b.log.flush();
    const changes = await events(first, "configuration.settings_changed");
    expect(changes.length).toBeGreaterThan(1);
    let previous: unknown = false;
    for (const change of changes) {
      const details = change.details as { before: Record<string, unknown>; after: Record<string, unknown> };
      expect(details.before["security.requireTwoFactor"]).toBe(previous);
      expect(details.after["security.requireTwoFactor"]).toBe(!(previous as boolean));
      previous = details.after["security.requireTwoFactor"];
    }
    expect(await a.settings.requireTwoFactor()).toBe(previous);
    // The retention events, applied under the same lock, chain the same way.
    let days: unknown = 365;
    for (const change of await events(first, "audit.retention_changed")) {
      const token = (change.details as { changed: { token: { before: number; after: number } } }).changed
        .token;
      expect(token.before).toBe(days);
      days = token.after;
    }
    expect((await a.settings.get()).audit.retentionDays.token).toBe(days);
  });
});
