import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines, type EngineName } from "../../../test/support/test-databases.ts";
import { SecretBox } from "../../access/secret-box.ts";
import { ManualClock } from "../../clock/clock.ts";
import { AuditRecords } from "../../storage/database/audit-records.ts";
import type { DatabaseHandle } from "../../storage/database/database-handle.ts";
import { RawIpRecords } from "../../storage/database/raw-ip-records.ts";
import { anonymousActor, consoleContext, type AuditContext } from "../audit-event.ts";
import { AuditLog } from "../audit-log.ts";
import { auditTrail } from "../audit-trail.ts";
import { RawIpVault } from "./raw-ip-vault.ts";

const DAY = 86_400_000;

interface Fixture {
  readonly handle: DatabaseHandle;
  readonly clock: ManualClock;
  readonly vault: RawIpVault;
  readonly log: AuditLog;
}

async function open(engine: EngineName, keepDays = 7): Promise<Fixture> {
  const handle = await createTestDatabase(engine);
  const clock = new ManualClock("2026-03-01T12:00:00.000Z");
  const vault = new RawIpVault({
    records: new RawIpRecords(handle.db),
    secrets: new SecretBox(randomBytes(32)),
    clock,
    keepDays,
  });
  const log = new AuditLog({ records: new AuditRecords(handle.db), clock, rawIps: vault });
  return { handle, clock, vault, log };
}

const from = (ip: string): AuditContext => ({
  actor: anonymousActor,
  ipAddress: null,
  userAgent: null,
  requestId: null,
  rawIpAddress: ip,
});

describe.each(testEngines())("the raw IP vault on %s", (engine) => {
  let f: Fixture;
  afterEach(async () => {
    await f.handle.close();
  });

  it("seals each raw address with its event, in the same commit, and reads it back", async () => {
    f = await open(engine);
    const events = await Promise.all([
      f.log.append(
        { event: "authentication", action: "token_invalid", outcome: "failure" },
        from("203.0.113.7"),
      ),
      f.log.append(
        { event: "authentication", action: "token_invalid", outcome: "failure" },
        from("2001:db8::1"),
      ),
      f.log.append({ event: "system", action: "started", outcome: "success" }, consoleContext),
    ]);
    expect(await f.vault.read(events[0].seq)).toEqual({ state: "kept", ip: "203.0.113.7" });
    expect(await f.vault.read(events[1].seq)).toEqual({ state: "kept", ip: "2001:db8::1" });
    expect(await f.vault.read(events[2].seq)).toEqual({ state: "not-kept", ip: null });
    // Sealed: the address is nowhere in the table in clear.
    const rows = await f.handle.db.selectFrom("audit_raw_ips").selectAll().execute();
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain("203.0.113.7");
    // And never in the event (the leaf): ip_address is what the IP mode kept (here nothing).
    expect(events.map((event) => event.ip_address)).toEqual([null, null, null]);
  });

  it("crypto-shreds a day's addresses once its key is older than keepDays, and records it", async () => {
    f = await open(engine, 2);
    const old = await f.log.append(
      { event: "authentication", action: "x", outcome: "failure" },
      from("192.0.2.1"),
    );
    f.clock.advance(2 * DAY);
    const recent = await f.log.append(
      { event: "authentication", action: "x", outcome: "failure" },
      from("192.0.2.2"),
    );
    expect(await f.vault.shred()).toEqual([]);
    f.clock.advance(DAY);
    const trail = auditTrail(f.log, consoleContext);
    expect(await f.vault.shredAndRecord(trail)).toEqual(["2026-03-01"]);
    expect(await f.vault.read(old.seq)).toEqual({ state: "not-kept", ip: null });
    expect(await f.vault.read(recent.seq)).toEqual({ state: "kept", ip: "192.0.2.2" });
    const keys = await f.handle.db.selectFrom("audit_ip_keys").select("day").execute();
    expect(keys.map((key) => key.day)).toEqual(["2026-03-03"]);
    const shredded = await new AuditRecords(f.handle.db).latestEvent("audit", "raw_ips_shredded");
    expect(shredded?.details).toBe('{"days":["2026-03-01"],"keep_days":2}');
  });

  it("reports a shredded key when the sealed address outlived it", async () => {
    f = await open(engine, 1);
    const event = await f.log.append(
      { event: "authentication", action: "x", outcome: "failure" },
      from("192.0.2.9"),
    );
    await f.handle.db.deleteFrom("audit_ip_keys").execute();
    expect(await f.vault.read(event.seq)).toEqual({ state: "shredded", ip: null });
  });

  it("does not open an address moved to another event", async () => {
    f = await open(engine);
    const a = await f.log.append(
      { event: "authentication", action: "x", outcome: "failure" },
      from("192.0.2.10"),
    );
    const b = await f.log.append(
      { event: "authentication", action: "x", outcome: "failure" },
      consoleContext,
    );
    const sealed = await f.handle.db
      .selectFrom("audit_raw_ips")
      .selectAll()
      .where("seq", "=", a.seq)
      .executeTakeFirstOrThrow();
    await f.handle.db
      .insertInto("audit_raw_ips")
      .values({ ...sealed, seq: b.seq })
      .execute();
    expect(await f.vault.read(b.seq)).toEqual({ state: "not-kept", ip: null });
  });
});
