import { describe, expect, it } from "vitest";
import { consoleContext } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { ManualClock } from "../../src/clock/clock.ts";
import { AuditRecords } from "../../src/storage/database/audit-records.ts";
import { createTestDatabase } from "../support/test-databases.ts";

describe("AuditLog under steady appends", () => {
  it("lets timers and I/O run between commits (appenders that append again when committed)", async () => {
    const handle = await createTestDatabase("sqlite");
    const log = new AuditLog({ records: new AuditRecords(handle.db), clock: new ManualClock() });
    let timerFired = false;
    let appended = 0;
    // Each appender appends again as soon as its event is committed, as a busy server does. A
    // drain that looped while the queue refilled would never give the timer its turn; the cap on
    // appends only ends the test if that happens.
    const appender = async (): Promise<void> => {
      while (!timerFired && appended < 200_000) {
        await log.append({ event: "package_access", action: "download", outcome: "success" }, consoleContext);
        appended += 1;
      }
    };
    setTimeout(() => {
      timerFired = true;
    }, 20);
    await Promise.all(Array.from({ length: 64 }, appender));
    expect(timerFired).toBe(true);
    expect(appended).toBeLessThan(200_000);
    await log.flush();
    await handle.close();
  });
});
