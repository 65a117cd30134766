import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { auditTrail } from "../../audit/audit-trail.ts";
import { consoleContext } from "../../audit/audit-event.ts";
import type { JobStatus } from "../../jobs/job-board.ts";
import type { JobRun } from "../../storage/database/job-run-records.ts";

interface RunPage {
  runs: JobRun[];
  nextCursor: string | null;
}

describe("/api/jobs", () => {
  let t: TestRuntime;
  let admin: TestToken;
  let writer: TestToken;

  beforeAll(async () => {
    t = await TestRuntime.start();
    admin = await t.createToken({ scopes: ["admin"], description: "operator" });
    writer = await t.createToken({ scopes: ["write"], description: "ci" });
    // Two purges and a checkpoint: three runs in the history.
    const trail = auditTrail(t.runtime.audit.log, consoleContext);
    await t.runtime.auditRetention.purge(trail, "manual");
    t.clock.advance(1000);
    await t.runtime.auditRetention.purge(trail, "manual");
    t.clock.advance(1000);
    await t.runtime.audit.log.flush();
    await t.runtime.audit.checkpointer.checkpointNow();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const get = (path: string, token = admin.token) => t.request(`/api/jobs${path}`, { token });

  it("lists every background job with its lease and latest run", async () => {
    const response = await get("");
    expect(response.status).toBe(200);
    const { jobs } = (await response.json()) as { jobs: JobStatus[] };
    expect(jobs.map((job) => job.name)).toEqual([
      "audit.checkpoints",
      "audit.retention.purge",
      "audit.sinks.delivery",
      "audit.alerts.evaluation",
      "proxy.change-feeds",
    ]);
    const purge = jobs.find((job) => job.name === "audit.retention.purge");
    // Nobody holds it between purges: the purge gives it back.
    expect(purge).toMatchObject({ state: "free", leaseUntil: null, lastRun: { outcome: "succeeded" } });
    expect(purge?.lastRun?.summary).toMatchObject({ trigger: "manual", purged: 0 });
    const checkpoints = jobs.find((job) => job.name === "audit.checkpoints");
    expect(checkpoints?.lastRun?.summary).toMatchObject({ size: expect.any(Number) as number });
    expect(jobs.find((job) => job.name === "audit.sinks.delivery")).toMatchObject({
      state: "free",
      lastRun: null,
      intervalSeconds: 1,
    });
  });

  it("pages through the history of one job and of all of them, newest first", async () => {
    const first = (await (await get("/audit.retention.purge/runs?limit=1")).json()) as RunPage;
    expect(first.runs).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const second = (await (
      await get(`/audit.retention.purge/runs?limit=1&cursor=${encodeURIComponent(first.nextCursor ?? "")}`)
    ).json()) as RunPage;
    expect(second.runs).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(second.runs[0]!.startedAt < first.runs[0]!.startedAt).toBe(true);

    const all = (await (await get("/runs")).json()) as RunPage;
    expect(all.runs.map((run) => run.job)).toEqual([
      "audit.checkpoints",
      "audit.retention.purge",
      "audit.retention.purge",
    ]);
  });

  it("refuses unknown jobs, forged cursors, bad limits and callers without audit:read", async () => {
    const unknown = await get("/no.such.job/runs");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "JobNotFound" });
    for (const cursor of [
      "x",
      "2026-01-01T00:00:00.000Z|not-an-id",
      "a|b|c",
      "nope|01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ]) {
      const forged = await get(`/runs?cursor=${encodeURIComponent(cursor)}`);
      expect(forged.status, cursor).toBe(400);
      expect(await forged.json()).toMatchObject({ code: "InvalidCursor" });
    }
    for (const limit of ["0", "501", "-1", "ten", "1e3"]) {
      expect((await get(`/runs?limit=${limit}`)).status, limit).toBe(400);
    }
    expect((await get("/runs?sort=asc")).status).toBe(400);
    expect((await get("", writer.token)).status).toBe(403);
    expect((await t.request("/api/jobs")).status).toBe(401);
  });
});
