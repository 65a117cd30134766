import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines, type EngineName } from "../../../test/support/test-databases.ts";
import { ManualClock } from "../../clock/clock.ts";
import { createLogger } from "../../observability/logger.ts";
import { AuditPurgeRecords } from "../../storage/database/audit-purge-records.ts";
import { AuditRecords } from "../../storage/database/audit-records.ts";
import { AuditSearchRecords } from "../../storage/database/audit-search-records.ts";
import type { DatabaseHandle } from "../../storage/database/database-handle.ts";
import { JobLeaseRecords } from "../../storage/database/job-lease-records.ts";
import { SettingsRecords } from "../../storage/database/settings-records.ts";
import { AuditCheckpointer } from "../audit-checkpointer.ts";
import { consoleContext, type AuditCategory } from "../audit-event.ts";
import { AuditLog } from "../audit-log.ts";
import { AuditSearch } from "../audit-search.ts";
import { auditTrail, type AuditTrail } from "../audit-trail.ts";
import { AuditVerification } from "../audit-verification.ts";
import { createNoteSigner, createNoteVerifier } from "../integrity/signed-note.ts";
import { PURGE_JOB } from "../../jobs/background-job-catalog.ts";
import { AuditRetention } from "./audit-retention.ts";

const ORIGIN = "broker.test/audit";
const DAY = 86_400_000;

interface Fixture {
  readonly handle: DatabaseHandle;
  readonly clock: ManualClock;
  readonly trail: AuditTrail;
  readonly retention: AuditRetention;
  readonly search: AuditSearch;
  readonly verification: AuditVerification;
  readonly checkpointer: AuditCheckpointer;
  readonly leases: JobLeaseRecords;
}

async function open(engine: EngineName): Promise<Fixture> {
  const handle = await createTestDatabase(engine);
  const clock = new ManualClock("2025-01-01T00:00:00.000Z");
  const records = new AuditRecords(handle.db);
  const { privateKey } = generateKeyPairSync("ed25519");
  const checkpointer = new AuditCheckpointer({
    records,
    signer: createNoteSigner({ name: ORIGIN, privateKey }),
    origin: ORIGIN,
    clock,
    logger: createLogger({ level: "silent" }),
    policy: { everyEvents: 1_000_000, everyMs: 3_600_000 },
  });
  const log = new AuditLog({ records, clock, onCommitted: () => undefined });
  const leases = new JobLeaseRecords(handle.db);
  return {
    handle,
    clock,
    trail: auditTrail(log, consoleContext),
    retention: new AuditRetention({
      settings: new SettingsRecords(handle.db),
      purges: new AuditPurgeRecords(handle.db),
      leases,
      clock,
    }),
    search: new AuditSearch(new AuditSearchRecords(handle.db, () => [])),
    verification: new AuditVerification({
      records,
      verifier: createNoteVerifier({ name: ORIGIN, publicKey: createPublicKey(privateKey) }),
      origin: ORIGIN,
    }),
    checkpointer,
    leases,
  };
}

/** One event of `category` per day for `days` days, then the clock stands on the next day. */
async function history(f: Fixture, category: AuditCategory, days: number): Promise<void> {
  for (let day = 0; day < days; day += 1) {
    await f.trail.record({
      event: category,
      action: "sample",
      outcome: "success",
      target: { type: "package", name: `acme/day-${day}` },
      details: { secret: `payload ${day}` },
    });
    f.clock.advance(DAY);
  }
}

describe.each(testEngines())("audit retention on %s", (engine) => {
  let f: Fixture;
  afterEach(async () => {
    await f.handle.close();
  });

  it("keeps 365 days of every category by default", async () => {
    f = await open(engine);
    expect(Object.values(await f.retention.days()).every((days) => days === 365)).toBe(true);
    expect(await f.retention.legalHold()).toMatchObject({ active: false });
  });

  it("purges payloads older than the policy, keeps their leaf hashes, and verification still passes", async () => {
    f = await open(engine);
    await history(f, "package_access", 10);
    await history(f, "token", 3);
    await f.checkpointer.checkpointNow();
    await f.retention.setDays(f.trail, { package_access: 5 });
    const report = await f.retention.purge(f.trail, "manual");
    // Days 0..4 of package_access are more than 5 days before "now" (day 13).
    expect(report).toMatchObject({ purged: 8, categories: [{ category: "package_access", purged: 8 }] });

    const left = await f.search.page({ q: "event:package_access", order: "asc" });
    expect(left.events.map((event) => event.target?.name)).toEqual(["acme/day-8", "acme/day-9"]);
    expect((await f.search.page({ q: '"payload 3"' })).events).toEqual([]);

    const rows = await f.handle.db
      .selectFrom("audit_logs")
      .select(["seq", "event", "action", "user", "details", "leaf_hash", "purged_at"])
      .where("purged_at", "is not", null)
      .orderBy("seq")
      .execute();
    expect(rows).toHaveLength(8);
    expect(
      rows.every((row) => row.user === null && row.details === null && row.leaf_hash.length === 64),
    ).toBe(true);
    expect(rows.every((row) => row.event === "package_access" && row.action === "sample")).toBe(true);

    await f.checkpointer.checkpointNow();
    const { result } = await f.verification.verify();
    expect(result).toMatchObject({ ok: true });

    const [purgeEvent] = (await f.search.page({ q: "action:audit.retention_purged", limit: 1 })).events;
    expect(purgeEvent).toMatchObject({
      outcome: "success",
      details: {
        trigger: "manual",
        purged: 8,
        categories: [{ category: "package_access", purged: 8, first_seq: 1, last_seq: 8 }],
      },
    });
    const [change] = (await f.search.page({ q: "action:audit.retention_changed", limit: 1 })).events;
    expect(change).toMatchObject({ details: { changed: { package_access: { before: 365, after: 5 } } } });
  });

  it("purges in batches and finds nothing more the second time", async () => {
    f = await open(engine);
    for (let index = 0; index < 2500; index += 1) {
      await f.trail.record({ event: "package_access", action: "download", outcome: "success" });
    }
    f.clock.advance(2 * DAY);
    await f.retention.setDays(f.trail, { package_access: 1 });
    expect(await f.retention.purge(f.trail, "schedule")).toMatchObject({ purged: 2500 });
    expect(await f.retention.purge(f.trail, "schedule")).toMatchObject({ purged: 0 });
    const status = await f.retention.status();
    expect(status.categories.find((entry) => entry.category === "package_access")).toMatchObject({
      retained: 0,
      purged: 2500,
    });
  });

  it("refuses a purge under legal hold, records the refusal, and purges again once released", async () => {
    f = await open(engine);
    await history(f, "authentication", 4);
    await f.retention.setDays(f.trail, { authentication: 1 });
    await f.retention.hold(f.trail, "litigation 2026-17");
    await expect(f.retention.hold(f.trail, "again")).rejects.toMatchObject({ code: "LegalHoldActive" });
    await expect(f.retention.purge(f.trail, "manual")).rejects.toMatchObject({
      kind: "conflict",
      code: "LegalHoldActive",
    });
    // The scheduled purge skips quietly under the hold.
    expect(await f.retention.purge(f.trail, "schedule")).toBeNull();
    const refused = (await f.search.page({ q: "action:audit.retention_purged" })).events;
    expect(refused.map((event) => [event.outcome, event.details])).toEqual([
      ["denied", { trigger: "manual", code: "LegalHoldActive" }],
    ]);
    expect((await f.search.page({ q: "event:authentication" })).events).toHaveLength(4);

    await f.retention.release(f.trail);
    await expect(f.retention.release(f.trail)).rejects.toMatchObject({ code: "NoLegalHold" });
    expect(await f.retention.purge(f.trail, "manual")).toMatchObject({ purged: 3 });
    const holds = (
      await f.search.page({ q: "action:audit.legal_hold_placed OR action:audit.legal_hold_released" })
    ).events;
    expect(holds.map((event) => event.action)).toEqual(["legal_hold_released", "legal_hold_placed"]);
    expect(holds[1]?.details).toEqual({ reason: "litigation 2026-17" });
  });

  it("refuses a purge while another holds the lease, until the lease expires", async () => {
    f = await open(engine);
    const now = f.clock.now();
    expect(await f.leases.acquire(PURGE_JOB, "other-node", now, new Date(now.getTime() + 60_000))).toBe(true);
    await expect(f.retention.purge(f.trail, "manual")).rejects.toMatchObject({ code: "PurgeRunning" });
    f.clock.advance(61_000);
    expect(await f.retention.purge(f.trail, "manual")).toMatchObject({ purged: 0 });
    expect(await f.leases.get(PURGE_JOB)).toMatchObject({ holder: null, last_outcome: "success" });
  });

  it.each([
    [{ nope: 5 }, /unknown category "nope"/],
    [{ token: 0 }, /token: days must be a whole number from 1 to 36500/],
    [{ token: 36501 }, /days must be a whole number/],
    [{ token: 1.5 }, /days must be a whole number/],
    [{ token: "30" }, /days must be a whole number/],
    [{}, /names no category/],
    [[], /must be an object/],
    [null, /must be an object/],
  ])("refuses the policy change %j", async (change, message) => {
    f = await open(engine);
    await expect(f.retention.setDays(f.trail, change)).rejects.toMatchObject({ kind: "invalid" });
    await expect(f.retention.setDays(f.trail, change)).rejects.toThrow(message);
  });

  it.each(["", "   ", "x".repeat(501)])("refuses a legal hold with the reason %j", async (reason) => {
    f = await open(engine);
    await expect(f.retention.hold(f.trail, reason)).rejects.toMatchObject({ code: "InvalidReason" });
  });
});
