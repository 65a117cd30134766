import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import type { JobStatus } from "../jobs/job-board.ts";
import type { JobRun } from "../storage/database/job-run-records.ts";

let root: string;
let env: Record<string, string>;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-job-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const cli = (args: readonly string[]) => runCliCaptured(args, env);

describe("package-broker jobs", () => {
  it("lists the jobs and the runs a purge left", async () => {
    const purged = await cli(["audit", "retention", "purge", "--json"]);
    expect(purged.code, purged.stderr).toBe(0);

    const listed = await cli(["jobs", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const { jobs } = JSON.parse(listed.stdout) as { jobs: JobStatus[] };
    expect(jobs.find((job) => job.name === "audit.retention.purge")?.lastRun?.outcome).toBe("succeeded");

    const table = await cli(["jobs", "list"]);
    expect(table.stdout).toMatch(/JOB\s+EVERY\s+STATE\s+HOLDER\s+LAST TICK\s+LAST RUN/);
    expect(table.stdout).toMatch(/audit\.retention\.purge\s+3600s\s+free/);

    const runs = await cli(["jobs", "runs", "audit.retention.purge", "--json"]);
    const page = JSON.parse(runs.stdout) as { runs: JobRun[] };
    expect(page.runs).toHaveLength(1);
    expect(page.runs[0]).toMatchObject({ job: "audit.retention.purge", outcome: "succeeded" });
    expect((await cli(["jobs", "runs"])).stdout).toContain("audit.retention.purge");
  });

  it("refuses bad calls clearly", async () => {
    const unknown = await cli(["jobs", "runs", "no.such.job"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no background job is called "no.such.job"');
    const limit = await cli(["jobs", "runs", "--limit", "0"]);
    expect(limit.code).not.toBe(0);
    expect(limit.stderr).toContain("from 1 to 500");
    const letters = await cli(["jobs", "runs", "--limit", "many"]);
    expect(letters.code).not.toBe(0);
    expect(letters.stderr).toContain("whole number");
  });
});
