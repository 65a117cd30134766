import { describe, expect, it } from "vitest";
import { createLogger } from "../../observability/logger.ts";
import type { AuditTrail } from "../audit-trail.ts";
import type { AuditRetention, PurgeReport } from "./audit-retention.ts";
import { RetentionScheduler } from "./retention-scheduler.ts";

const trail = {} as AuditTrail;

function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "info",
    destination: {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { lines, logger };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("RetentionScheduler", () => {
  it("purges on its timer as scheduled, logs what it purged and survives a failure", async () => {
    const { lines, logger } = capture();
    const triggers: string[] = [];
    let calls = 0;
    const retention = {
      purge: (_trail: AuditTrail, trigger: PurgeReport["trigger"]) => {
        calls += 1;
        triggers.push(trigger);
        if (calls === 1) return Promise.reject(new Error("database is locked"));
        return Promise.resolve({
          trigger,
          purged: 3,
          categories: [{ category: "token", before: "x", purged: 3, firstSeq: 1, lastSeq: 3 }],
          heldForSinks: [],
        } satisfies PurgeReport);
      },
    } as unknown as AuditRetention;
    const scheduler = new RetentionScheduler({ retention, trail, logger, intervalMs: 5 });
    scheduler.start();
    await until(() => calls >= 2);
    await scheduler.stop();
    expect(triggers.every((trigger) => trigger === "schedule")).toBe(true);
    expect(lines.find((line) => line.message === "Audit retention purge failed")).toBeDefined();
    expect(lines.find((line) => line.message === "Audit retention purge")).toMatchObject({
      context: { purged: 3 },
    });
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(after);
  });

  it("does not run at interval 0", async () => {
    const { logger } = capture();
    let calls = 0;
    const retention = {
      purge: () => {
        calls += 1;
        return Promise.resolve(null);
      },
    } as unknown as AuditRetention;
    const scheduler = new RetentionScheduler({ retention, trail, logger, intervalMs: 0 });
    scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await scheduler.stop();
    expect(calls).toBe(0);
  });
});
