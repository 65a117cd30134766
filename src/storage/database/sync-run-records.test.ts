import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { RepositoryRecords } from "./repository-records.ts";
import { emptySyncDetails, SyncRunRecords, type SyncRunDetails } from "./sync-run-records.ts";

const T0 = "2026-01-01T10:00:00.000Z";

function at(offsetMs: number): string {
  return new Date(Date.parse(T0) + offsetMs).toISOString();
}

describe.each(testEngines())("SyncRunRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<SyncRunRecords> {
    handle = await createTestDatabase(engine);
    const repositories = new RepositoryRecords(handle.db);
    for (const id of ["R1", "R2"]) {
      await repositories.insert({
        id,
        name: `repo-${id}`,
        type: "git",
        url: `https://git.example.com/${id}.git`,
        credentials: null,
        createdAt: T0,
        updatedAt: T0,
      });
    }
    return new SyncRunRecords(handle.db);
  }

  it("starts a run as running, with empty details", async () => {
    const runs = await open();
    await runs.start({ id: "run-1", repositoryId: "R1", startedAt: at(0) });
    expect(await runs.find("run-1")).toEqual({
      id: "run-1",
      repositoryId: "R1",
      status: "running",
      startedAt: at(0),
      finishedAt: null,
      details: emptySyncDetails,
      error: null,
      progress: null,
    });
    expect(await runs.find("absent")).toBeNull();
  });

  it("keeps a running run's latest progress, clears it when the run ends, and ignores it afterwards", async () => {
    const runs = await open();
    await runs.start({ id: "run-p", repositoryId: "R1", startedAt: at(0) });
    await runs.progress("run-p", { phase: "fetching" });
    expect((await runs.find("run-p"))?.progress).toEqual({ phase: "fetching" });
    const reading = { phase: "refs", done: 3, total: 40, ref: "v1.2.0" } as const;
    await runs.progress("run-p", reading);
    expect((await runs.find("run-p"))?.progress).toEqual(reading);

    await runs.finish("run-p", {
      status: "succeeded",
      finishedAt: at(1000),
      details: emptySyncDetails,
      error: null,
    });
    expect((await runs.find("run-p"))?.progress).toBeNull();
    // A report that arrives after the end changes nothing.
    await runs.progress("run-p", reading);
    expect((await runs.find("run-p"))?.progress).toBeNull();

    await runs.start({ id: "run-q", repositoryId: "R2", startedAt: at(2000) });
    await runs.progress("run-q", { phase: "refs", done: 1, total: 9, ref: "acme/x", unit: "packages" });
    await runs.interruptRunning("R2", at(3000));
    expect((await runs.find("run-q"))?.progress).toBeNull();
  });

  it("keeps the counts of a composer upstream's eager sync in its details", async () => {
    const runs = await open();
    await runs.start({ id: "run-e", repositoryId: "R2", startedAt: at(0) });
    const details: SyncRunDetails = {
      ...emptySyncDetails,
      upstream: {
        mode: "changes",
        packages: { fetched: 2, unchanged: 5, failed: 1, gone: 1 },
        versions: { new: 3, known: 10 },
        dists: { fetched: 3, unchanged: 9, failed: 1 },
        failures: [{ package: "acme/broken", reason: "upstream request failed: HTTP 503" }],
        feedError: null,
      },
    };
    await runs.finish("run-e", { status: "failed", finishedAt: at(1), details, error: "1 of 8 packages" });
    expect((await runs.find("run-e"))?.details).toEqual(details);
  });

  it("finishes a run with its details and counts", async () => {
    const runs = await open();
    await runs.start({ id: "run-1", repositoryId: "R1", startedAt: at(0) });
    const details: SyncRunDetails = {
      added: ["acme/widget 1.0.0", "acme/widget dev-main"],
      updated: ["acme/widget 0.9.0"],
      removed: ["acme/widget 0.1.0"],
      skipped: [
        { ref: "refs/tags/junk", reason: '"junk" is not a valid version tag name' },
        { ref: "refs/tags/v2.0.0", reason: "composer.json is missing" },
        { ref: "refs/heads/wip", reason: "composer.json is not valid JSON" },
      ],
      moved: [{ ref: "refs/tags/v0.9.0", from: "a".repeat(40), to: "b".repeat(40) }],
    };
    await runs.finish("run-1", { status: "succeeded", finishedAt: at(3000), details, error: null });
    expect(await runs.find("run-1")).toEqual({
      id: "run-1",
      repositoryId: "R1",
      status: "succeeded",
      startedAt: at(0),
      finishedAt: at(3000),
      details,
      error: null,
      progress: null,
    });
    const counts = await handle?.db
      .selectFrom("sync_runs")
      .select(["versions_added", "versions_removed", "refs_skipped"])
      .where("id", "=", "run-1")
      .executeTakeFirstOrThrow();
    expect(counts).toEqual({ versions_added: 2, versions_removed: 1, refs_skipped: 3 });
  });

  it("records a failed run with its error", async () => {
    const runs = await open();
    await runs.start({ id: "run-1", repositoryId: "R1", startedAt: at(0) });
    await runs.finish("run-1", {
      status: "failed",
      finishedAt: at(1000),
      details: emptySyncDetails,
      error: "git fetch: the repository was not found",
    });
    expect(await runs.find("run-1")).toMatchObject({
      status: "failed",
      finishedAt: at(1000),
      error: "git fetch: the repository was not found",
      details: emptySyncDetails,
    });
  });

  it("lists the latest runs of a repository, newest first, up to the limit", async () => {
    const runs = await open();
    // Started out of order; two in the same millisecond are ordered by id (ULIDs sort by time).
    await runs.start({ id: "01B", repositoryId: "R1", startedAt: at(2000) });
    await runs.start({ id: "01A", repositoryId: "R1", startedAt: at(0) });
    await runs.start({ id: "01D", repositoryId: "R1", startedAt: at(5000) });
    await runs.start({ id: "01C", repositoryId: "R1", startedAt: at(5000) });
    await runs.start({ id: "01E", repositoryId: "R2", startedAt: at(9000) });

    expect((await runs.latest("R1", 10)).map((run) => run.id)).toEqual(["01D", "01C", "01B", "01A"]);
    expect((await runs.latest("R1", 2)).map((run) => run.id)).toEqual(["01D", "01C"]);
    expect((await runs.latest("R2", 10)).map((run) => run.id)).toEqual(["01E"]);
    expect(await runs.latest("R3", 10)).toEqual([]);
  });

  it("counts the runs still running, and marks a repository's as interrupted", async () => {
    const runs = await open();
    await runs.start({ id: "01A", repositoryId: "R1", startedAt: at(0) });
    await runs.start({ id: "01B", repositoryId: "R1", startedAt: at(1000) });
    await runs.start({ id: "01C", repositoryId: "R2", startedAt: at(2000) });
    await runs.finish("01B", {
      status: "succeeded",
      finishedAt: at(1500),
      details: emptySyncDetails,
      error: null,
    });
    expect(await runs.countRunning()).toBe(2);

    expect(await runs.interruptRunning("R1", at(9000))).toBe(1);
    expect(await runs.find("01A")).toMatchObject({ status: "interrupted", finishedAt: at(9000) });
    expect((await runs.find("01B"))?.status).toBe("succeeded");
    expect((await runs.find("01C"))?.status).toBe("running");
    expect(await runs.countRunning()).toBe(1);
  });

  it("refuses a run of a repository that does not exist", async () => {
    const runs = await open();
    await expect(runs.start({ id: "run-1", repositoryId: "missing", startedAt: at(0) })).rejects.toThrow();
  });
});
