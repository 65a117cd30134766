import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createPostgresDatabase,
  createTestDatabase,
  testEngines,
  type EngineName,
} from "../../test/support/test-databases.ts";
import { anonymousActor, consoleContext, type AuditEvent } from "../audit/audit-event.ts";
import { AuditLog } from "../audit/audit-log.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { ClientAddressResolver } from "../audit/client-address.ts";
import { RequestAuditing } from "../audit/request-auditing.ts";
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
import { AuditIpMode } from "./audit-ip-mode.ts";
import { SettingsService } from "./settings-service.ts";

const HASH_KEY = Buffer.alloc(32, 7);
const ORIGIN = { peer: "198.51.100.23", forwardedFor: undefined, userAgent: "test", requestId: "req_1" };

describe.each(testEngines())("the audit IP mode setting on %s", (engine) => {
  const handles: DatabaseHandle[] = [];
  const directories: string[] = [];
  const modes: AuditIpMode[] = [];
  afterEach(async () => {
    for (const mode of modes.splice(0)) await mode.stop();
    for (const handle of handles.splice(0)) await handle.close();
    for (const directory of directories.splice(0)) fs.rmSync(directory, { recursive: true, force: true });
  });

  const clock = new ManualClock("2026-03-02T09:00:00.000Z");

  /** A process on the database: its settings service, its IP mode, its request auditing. */
  async function node(handle: DatabaseHandle, fallback: "full" | "truncate" | "none", refreshMs?: number) {
    const log = new AuditLog({ records: new AuditRecords(handle.db), clock, onCommitted: () => undefined });
    const records = new SettingsRecords(handle.db);
    const leases = new JobLeaseRecords(handle.db);
    const ipMode = new AuditIpMode({ records, fallback, refreshMs });
    modes.push(ipMode);
    await ipMode.refresh();
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
      ipMode,
    });
    const auditing = new RequestAuditing({
      log,
      clientAddress: new ClientAddressResolver([]),
      ipMode: () => ipMode.current(),
      hashKey: HASH_KEY,
      clock,
    });
    /** What a request from ORIGIN records now. */
    const request = async (): Promise<string | null> => {
      const trail = auditing.trail(ORIGIN, anonymousActor);
      await trail.record({ event: "package_access", action: "packages_json", outcome: "success" });
      await log.flush();
      return trail.context.ipAddress;
    };
    return { settings, ipMode, log, request, trail: () => auditTrail(log, consoleContext) };
  }

  async function openShared(name: EngineName): Promise<[DatabaseHandle, DatabaseHandle]> {
    if (name === "sqlite") {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "pb-ip-mode-"));
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

  async function events(handle: DatabaseHandle, action: string): Promise<AuditEvent[]> {
    const found: AuditEvent[] = [];
    for await (const row of new AuditRecords(handle.db).scan()) {
      const event = rowToEvent(row);
      if (`${event.event}.${event.action}` === action) found.push(event);
    }
    return found;
  }

  it("follows PB_AUDIT_IP_MODE until set, then the setting, audited with before and after", async () => {
    const handle = await createTestDatabase(engine);
    handles.push(handle);
    const a = await node(handle, "full");
    expect((await a.settings.get()).audit).toMatchObject({ ipMode: "full", ipModeSource: "environment" });
    expect(await a.request()).toBe("198.51.100.23");

    const document = await a.settings.update({ audit: { ipMode: "hash" } }, a.trail());
    expect(document.audit).toMatchObject({ ipMode: "hash", ipModeSource: "setting" });
    // In force at once in this process: no read of the database needed.
    expect(a.ipMode.current()).toBe("hash");
    const after = await a.request();
    expect(after).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(after).not.toContain("198.51.100");
    await a.log.flush();
    const [change, ...more] = await events(handle, "configuration.settings_changed");
    expect(more).toEqual([]);
    expect(change).toMatchObject({
      outcome: "success",
      severity: "warning",
      details: { before: { "audit.ipMode": "full" }, after: { "audit.ipMode": "hash" } },
    });
    // Past events keep what they stored.
    const accesses = await events(handle, "package_access.packages_json");
    expect(accesses.map((event) => event.ip_address)).toEqual(["198.51.100.23", after]);

    // Once set, the setting wins over whatever PB_AUDIT_IP_MODE says at the next start.
    const restarted = await node(handle, "none");
    expect(restarted.ipMode.current()).toBe("hash");
    expect((await restarted.settings.get()).audit).toMatchObject({ ipMode: "hash", ipModeSource: "setting" });
    await a.settings.update({ audit: { ipMode: "truncate" } }, a.trail());
    expect(await a.request()).toBe("198.51.100.0/24");
    await a.settings.update({ audit: { ipMode: "none" } }, a.trail());
    expect(await a.request()).toBeNull();
  });

  it("refuses what is not a mode, changing nothing and recording the refused path", async () => {
    const handle = await createTestDatabase(engine);
    handles.push(handle);
    const a = await node(handle, "truncate");
    const cases: unknown[] = [
      { audit: { ipMode: "HASH" } },
      { audit: { ipMode: "anonymize" } },
      { audit: { ipMode: "" } },
      { audit: { ipMode: null } },
      { audit: { ipMode: true } },
      { audit: { ipMode: 2 } },
      { audit: { ipMode: ["hash"] } },
      { audit: { ipMode: { mode: "hash" } } },
      { audit: { ipMode: "x".repeat(100_000) } },
      { audit: { ipModeSource: "setting" } },
      { audit: { ipMode: "hash", ipModeSource: "setting" } },
      { audit: { ipMode: "hash", sneaky: 1 } },
    ];
    for (const patch of cases) {
      const error = await a.settings.update(patch, a.trail()).then(
        () => new Error("the patch was accepted"),
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(patch).slice(0, 80)).toMatchObject({
        kind: "invalid",
        code: "InvalidSettings",
      });
      expect((error as Error).message.length).toBeLessThan(2000);
    }
    expect(a.ipMode.current()).toBe("truncate");
    expect((await a.settings.get()).audit).toMatchObject({ ipMode: "truncate", ipModeSource: "environment" });
    expect(await new SettingsRecords(handle.db).get("runtime")).toBeUndefined();
    await a.log.flush();
    const refused = await events(handle, "configuration.settings_changed");
    expect(refused).toHaveLength(cases.length);
    expect(refused.every((event) => event.outcome === "failure")).toBe(true);
    expect(refused[3]?.details).toEqual({ code: "InvalidSettings", errors: ["audit.ipMode"] });
    // The refused values never enter the log.
    expect(JSON.stringify(refused)).not.toContain("anonymize");
  });

  it("reaches another process at its next refresh, and a damaged stored value falls back", async () => {
    const [first, second] = await openShared(engine);
    const a = await node(first, "full");
    const b = await node(second, "full", 20);
    b.ipMode.start();
    expect(await b.request()).toBe("198.51.100.23");
    await a.settings.update({ audit: { ipMode: "truncate" } }, a.trail());
    // The other process keeps its mode until it re-reads the setting (every few seconds; here 20 ms).
    await vi.waitFor(() => {
      expect(b.ipMode.current()).toBe("truncate");
    });
    expect(await b.request()).toBe("198.51.100.0/24");
    await b.ipMode.stop();

    // A damaged value is replaced by PB_AUDIT_IP_MODE, as every setting falls back to its default.
    await new SettingsRecords(first.db).put("runtime", { "audit.ipMode": "everything" }, clock.now());
    await b.ipMode.refresh();
    expect(b.ipMode.current()).toBe("full");
  });

  it("does not let a refresh that read before a change made here undo it", async () => {
    let release!: (value: unknown) => void;
    const ipMode = new AuditIpMode({
      records: { get: () => new Promise((resolve) => (release = resolve)) },
      fallback: "full",
    });
    const refreshing = ipMode.refresh();
    ipMode.changed("none");
    release({ "audit.ipMode": "hash" });
    await refreshing;
    expect(ipMode.current()).toBe("none");
    // A read that fails leaves the mode as it was, and the timer keeps going.
    const warn = vi.fn();
    const failing = new AuditIpMode({
      records: { get: () => Promise.reject(new Error("database gone")) },
      fallback: "truncate",
      refreshMs: 5,
      logger: { warn },
    });
    modes.push(failing);
    await expect(failing.refresh()).rejects.toThrow("database gone");
    failing.start();
    await vi.waitFor(() => {
      expect(warn.mock.calls.length).toBeGreaterThanOrEqual(2);
    });
    expect(failing.current()).toBe("truncate");
  });
});
