import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AuditCheckpointer } from "../../src/audit/audit-checkpointer.ts";
import { systemContext } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { createNoteSigner } from "../../src/audit/integrity/signed-note.ts";
import { ManualClock } from "../../src/clock/clock.ts";
import { CHECKPOINT_JOB } from "../../src/jobs/background-job-catalog.ts";
import { JobLease } from "../../src/jobs/job-lease.ts";
import { LeasedJob, type LeasedRound } from "../../src/jobs/leased-job.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { AuditRecords } from "../../src/storage/database/audit-records.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { JobLeaseRecords } from "../../src/storage/database/job-lease-records.ts";
import { JobRunRecords } from "../../src/storage/database/job-run-records.ts";
import { createTestDatabase, testEngines } from "../support/test-databases.ts";

const silent = createLogger({ level: "silent", destination: { write: () => undefined } });

describe.each(testEngines())("background jobs under leases on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open() {
    handle = await createTestDatabase(engine);
    const clock = new ManualClock(new Date("2026-11-27T10:00:00.000Z"));
    return {
      db: handle.db,
      clock,
      leases: new JobLeaseRecords(handle.db),
      runs: new JobRunRecords(handle.db),
    };
  }

  it("of two processes, one runs the rounds; busy and failed rounds are history, idle ones are not", async () => {
    const { clock, leases, runs } = await open();
    const ran: string[] = [];
    let next: "busy" | "idle" | "fail" = "busy";
    const round =
      (who: string): LeasedRound =>
      () => {
        ran.push(who);
        if (next === "fail") return Promise.reject(new Error("receiver said no"));
        return Promise.resolve(next === "busy" ? { delivered: 3 } : null);
      };
    const options = { name: "test.job", leases, clock, logger: silent, intervalMs: 0, leaseMs: 60_000 };
    const a = new LeasedJob({ ...options, round: round("a") });
    const b = new LeasedJob({ ...options, round: round("b") });

    await a.turn();
    await b.turn();
    next = "idle";
    clock.advance(1000);
    await a.turn();
    await b.turn();
    next = "fail";
    clock.advance(1000);
    await a.turn();
    expect(ran).toEqual(["a", "a", "a"]);

    const history = await runs.list({ job: "test.job", limit: 10, after: null });
    expect(history.map((run) => [run.outcome, run.summary, run.error, run.holder])).toEqual([
      ["failed", {}, "receiver said no", a.lease.holder],
      ["succeeded", { delivered: 3 }, null, a.lease.holder],
    ]);
    expect(await leases.get("test.job")).toMatchObject({
      holder: a.lease.holder,
      last_outcome: "failure",
      last_error: "receiver said no",
    });

    // A stopped process hands the job over at once.
    await a.stop();
    next = "busy";
    await b.turn();
    expect(ran.at(-1)).toBe("b");
    expect((await leases.get("test.job"))?.holder).toBe(b.lease.holder);
    await b.stop();
  });

  it("a process that dies holding the lease hands the job over when the lease expires, not before", async () => {
    const { clock, leases } = await open();
    const ran: string[] = [];
    const options = { name: "test.job", leases, clock, logger: silent, intervalMs: 0, leaseMs: 60_000 };
    const dead = new LeasedJob({
      ...options,
      round: () => {
        ran.push("dead");
        return Promise.resolve(null);
      },
    });
    const survivor = new LeasedJob({
      ...options,
      round: () => {
        ran.push("survivor");
        return Promise.resolve(null);
      },
    });
    await dead.turn();
    clock.advance(59_000);
    await survivor.turn();
    expect(ran).toEqual(["dead"]);
    clock.advance(2000);
    await survivor.turn();
    expect(ran).toEqual(["dead", "survivor"]);
    // The dead process's lease is gone: were it to come back, it would not run.
    await dead.turn();
    expect(ran).toEqual(["dead", "survivor"]);
    await survivor.stop();
  });

  it("a round that renews the lease stops when another process took it", async () => {
    const { clock, leases } = await open();
    const steps: string[] = [];
    const options = { name: "test.job", leases, clock, logger: silent, intervalMs: 0, leaseMs: 60_000 };
    const slow = new LeasedJob({
      ...options,
      round: async (_signal, stillMine) => {
        for (let step = 0; step < 3; step += 1) {
          if (!(await stillMine())) return { steps: step };
          steps.push(`step ${String(step)}`);
          // The process stalls longer than its lease; another one takes the job meanwhile.
          clock.advance(61_000);
          await leases.acquire("test.job", "other", clock.now(), new Date(clock.now().getTime() + 60_000));
        }
        return { steps: 3 };
      },
    });
    await slow.turn();
    expect(steps).toEqual(["step 0"]);
    expect((await leases.get("test.job"))?.holder).toBe("other");
  });

  it("only the checkpointer holding the lease signs; the other takes over when it stops", async () => {
    const { db, clock, leases } = await open();
    const records = new AuditRecords(db);
    const { privateKey } = generateKeyPairSync("ed25519");
    const signer = createNoteSigner({ name: "broker.test/audit", privateKey });
    const checkpointer = () =>
      new AuditCheckpointer({
        records,
        signer,
        origin: "broker.test/audit",
        clock,
        logger: silent,
        policy: { everyEvents: 1000, everyMs: 3_600_000 },
        lease: new JobLease({ name: CHECKPOINT_JOB, leases, clock, leaseMs: 7_200_000 }),
      });
    const first = checkpointer();
    const second = checkpointer();
    const log = new AuditLog({ records, clock });
    const append = async (): Promise<void> => {
      await log.append({ event: "system", action: "probe", outcome: "success" }, systemContext);
      await log.flush();
    };
    first.start();
    second.start();
    try {
      await append();
      expect((await first.checkpointNow())?.size).toBe(1);
      await append();
      // The second node may not sign: it answers the latest checkpoint, signed by the first.
      expect((await second.checkpointNow())?.size).toBe(1);
      expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([1]);
      // Stopping signs a last checkpoint and hands the lease over.
      await first.stop();
      expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([1, 2]);
      await append();
      expect((await second.checkpointNow())?.size).toBe(3);
    } finally {
      await first.stop();
      await second.stop();
    }
    const history = await new JobRunRecords(db).list({ job: CHECKPOINT_JOB, limit: 10, after: null });
    expect(history.map((run) => run.summary)).toEqual([{ size: 3 }, { size: 2 }, { size: 1 }]);
    expect(new Set(history.map((run) => run.holder)).size).toBe(2);
    expect((await leases.get(CHECKPOINT_JOB))?.holder).toBeNull();
  });

  it("a checkpointer that never started (a CLI command) takes the lease for one signature only", async () => {
    const { db, clock, leases } = await open();
    const records = new AuditRecords(db);
    const { privateKey } = generateKeyPairSync("ed25519");
    const lease = () => new JobLease({ name: CHECKPOINT_JOB, leases, clock, leaseMs: 120_000 });
    const command = new AuditCheckpointer({
      records,
      signer: createNoteSigner({ name: "broker.test/audit", privateKey }),
      origin: "broker.test/audit",
      clock,
      logger: silent,
      policy: { everyEvents: 1, everyMs: 60_000 },
      lease: lease(),
    });
    const log = new AuditLog({
      records,
      clock,
      onCommitted: (state, root) => command.committed(state, root),
    });
    await log.append({ event: "system", action: "probe", outcome: "success" }, systemContext);
    await log.flush();
    expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([1]);
    expect((await leases.get(CHECKPOINT_JOB))?.holder).toBeNull();

    // While a server holds it, the command signs nothing (the server does, on its timer).
    const server = lease();
    expect(await server.hold()).toBe(true);
    await log.append({ event: "system", action: "probe", outcome: "success" }, systemContext);
    await log.flush();
    expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([1]);
    expect((await leases.get(CHECKPOINT_JOB))?.holder).toBe(server.holder);
  });
});
