import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { CatalogRecords } from "./catalog-records.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { RepositoryRecords, type RefRecord } from "./repository-records.ts";
import { SyncRunRecords } from "./sync-run-records.ts";

const T0 = "2026-01-01T10:00:00.000Z";

function at(offsetMs: number): string {
  return new Date(Date.parse(T0) + offsetMs).toISOString();
}

function newRepository(
  id: string,
  overrides: { name?: string; createdAt?: string; credentials?: string } = {},
) {
  return {
    id,
    name: overrides.name ?? `repo-${id}`,
    type: "git" as const,
    url: `https://git.example.com/${id}.git`,
    credentials: overrides.credentials ?? null,
    createdAt: overrides.createdAt ?? T0,
    updatedAt: overrides.createdAt ?? T0,
  };
}

function ref(name: string, overrides: Partial<RefRecord> = {}): RefRecord {
  return {
    ref: name,
    commit: "a".repeat(40),
    packageName: "acme/widget",
    versionNormalized: "1.0.0.0",
    skipReason: null,
    ...overrides,
  };
}

describe.each(testEngines())("RepositoryRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<RepositoryRecords> {
    handle = await createTestDatabase(engine);
    return new RepositoryRecords(handle.db);
  }

  it("inserts a repository as new, and finds it by id and by name", async () => {
    const records = await open();
    await records.insert(newRepository("R1", { credentials: "v1.sealed.value" }));
    const expected = {
      id: "R1",
      name: "repo-R1",
      type: "git",
      url: "https://git.example.com/R1.git",
      credentials: "v1.sealed.value",
      status: "new",
      defaultBranch: null,
      lastError: null,
      lastSyncedAt: null,
      createdAt: T0,
      updatedAt: T0,
      packagePatterns: [],
      metadataUrl: null,
      eagerPackages: [],
    };
    expect(await records.findById("R1")).toEqual(expected);
    expect(await records.findByName("repo-R1")).toEqual(expected);
    expect(await records.findById("repo-R1")).toBeNull();
    expect(await records.findByName("R1")).toBeNull();
  });

  it("refuses two repositories with the same name", async () => {
    const records = await open();
    await records.insert(newRepository("R1", { name: "same" }));
    await expect(records.insert(newRepository("R2", { name: "same" }))).rejects.toThrow();
    expect((await records.list()).map((r) => r.id)).toEqual(["R1"]);
  });

  it("lists repositories in creation order, then by id", async () => {
    const records = await open();
    await records.insert(newRepository("R3", { createdAt: at(0) }));
    await records.insert(newRepository("R1", { createdAt: at(2000) }));
    await records.insert(newRepository("R2", { createdAt: at(0) }));
    expect((await records.list()).map((r) => r.id)).toEqual(["R2", "R3", "R1"]);
  });

  describe("the sync lease", () => {
    it("is taken once; a second acquire fails while it is held", async () => {
      const records = await open();
      await records.insert(newRepository("R1"));
      expect(await records.acquireSyncLease("R1", at(0), at(60_000))).toBe(true);
      expect((await records.findById("R1"))?.status).toBe("syncing");
      expect((await records.findById("R1"))?.updatedAt).toBe(at(0));
      expect(await records.acquireSyncLease("R1", at(1000), at(61_000))).toBe(false);
      // Up to and including the last instant of the lease.
      expect(await records.acquireSyncLease("R1", at(60_000), at(120_000))).toBe(false);
    });

    it("can be taken over once the lease time has passed (a crashed sync does not block forever)", async () => {
      const records = await open();
      await records.insert(newRepository("R1"));
      expect(await records.acquireSyncLease("R1", at(0), at(60_000))).toBe(true);
      expect(await records.acquireSyncLease("R1", at(60_001), at(120_001))).toBe(true);
      // The new holder's lease now counts.
      expect(await records.acquireSyncLease("R1", at(90_000), at(150_000))).toBe(false);
    });

    it("is cleared by release, which records the outcome", async () => {
      const records = await open();
      await records.insert(newRepository("R1"));
      expect(await records.acquireSyncLease("R1", at(0), at(60_000))).toBe(true);
      await records.releaseSyncLease("R1", {
        status: "ok",
        lastError: null,
        defaultBranch: "main",
        at: at(5000),
        leaseUntil: at(60_000),
      });
      expect(await records.findById("R1")).toMatchObject({
        status: "ok",
        lastError: null,
        defaultBranch: "main",
        lastSyncedAt: at(5000),
        updatedAt: at(5000),
      });
      expect(await records.acquireSyncLease("R1", at(6000), at(66_000))).toBe(true);
      await records.releaseSyncLease("R1", {
        status: "error",
        lastError: "the remote could not be reached",
        defaultBranch: "main",
        at: at(7000),
        leaseUntil: at(66_000),
      });
      expect(await records.findById("R1")).toMatchObject({
        status: "error",
        lastError: "the remote could not be reached",
        lastSyncedAt: at(7000),
      });
    });

    it("is not freed by a sync that outlived its lease and was taken over", async () => {
      const records = await open();
      await records.insert(newRepository("R1"));
      expect(await records.acquireSyncLease("R1", at(0), at(60_000))).toBe(true);
      expect(await records.acquireSyncLease("R1", at(61_000), at(121_000))).toBe(true);
      // The first sync finally ends and releases "its" lease.
      await records.releaseSyncLease("R1", {
        status: "error",
        lastError: "stale",
        defaultBranch: null,
        at: at(62_000),
        leaseUntil: at(60_000),
      });
      expect(await records.findById("R1")).toMatchObject({ status: "syncing", lastError: null });
      expect(await records.acquireSyncLease("R1", at(63_000), at(123_000))).toBe(false);
      // The holder's release works.
      await records.releaseSyncLease("R1", {
        status: "ok",
        lastError: null,
        defaultBranch: "main",
        at: at(64_000),
        leaseUntil: at(121_000),
      });
      expect(await records.findById("R1")).toMatchObject({ status: "ok", defaultBranch: "main" });
      expect(await records.acquireSyncLease("R1", at(65_000), at(125_000))).toBe(true);
    });

    it("is per repository", async () => {
      const records = await open();
      await records.insert(newRepository("R1"));
      await records.insert(newRepository("R2"));
      expect(await records.acquireSyncLease("R1", at(0), at(60_000))).toBe(true);
      expect(await records.acquireSyncLease("R2", at(0), at(60_000))).toBe(true);
      expect(await records.acquireSyncLease("R1", at(0), at(60_000))).toBe(false);
    });

    it("cannot be taken on a repository that does not exist", async () => {
      const records = await open();
      expect(await records.acquireSyncLease("missing", at(0), at(60_000))).toBe(false);
    });

    it("is given to exactly one of many concurrent acquirers", async () => {
      const records = await open();
      await records.insert(newRepository("R1"));
      const results = await Promise.all(
        Array.from({ length: 8 }, () => records.acquireSyncLease("R1", at(0), at(60_000))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe("refs", () => {
    it("saves, lists (ordered by ref), upserts and deletes refs", async () => {
      const records = await open();
      await records.insert(newRepository("R1"));
      await records.insert(newRepository("R2"));
      const tag = ref("refs/tags/v1.0.0");
      const branch = ref("refs/heads/main", {
        commit: "b".repeat(40),
        versionNormalized: "dev-main",
      });
      const skipped = ref("refs/tags/junk", {
        commit: "c".repeat(40),
        packageName: null,
        versionNormalized: null,
        skipReason: "composer.json is missing",
      });
      await records.saveRef("R1", tag, at(0));
      await records.saveRef("R1", branch, at(0));
      await records.saveRef("R1", skipped, at(0));
      await records.saveRef("R2", ref("refs/heads/other"), at(0));
      expect(await records.refs("R1")).toEqual([branch, skipped, tag]);

      const moved = ref("refs/tags/v1.0.0", { commit: "d".repeat(40) });
      await records.saveRef("R1", moved, at(1000));
      const nowSkipped = ref("refs/heads/main", {
        commit: "e".repeat(40),
        packageName: null,
        versionNormalized: null,
        skipReason: "composer.json is not valid JSON",
      });
      await records.saveRef("R1", nowSkipped, at(1000));
      expect(await records.refs("R1")).toEqual([nowSkipped, skipped, moved]);
      const updatedAt = await handle?.db
        .selectFrom("repository_refs")
        .select(["ref", "updated_at"])
        .where("repository_id", "=", "R1")
        .orderBy("ref")
        .execute();
      expect(updatedAt).toEqual([
        { ref: "refs/heads/main", updated_at: at(1000) },
        { ref: "refs/tags/junk", updated_at: at(0) },
        { ref: "refs/tags/v1.0.0", updated_at: at(1000) },
      ]);

      await records.deleteRef("R1", "refs/tags/junk");
      await records.deleteRef("R1", "refs/tags/absent");
      expect((await records.refs("R1")).map((r) => r.ref)).toEqual(["refs/heads/main", "refs/tags/v1.0.0"]);
      expect((await records.refs("R2")).map((r) => r.ref)).toEqual(["refs/heads/other"]);
    });

    it("refuses refs of a repository that does not exist", async () => {
      const records = await open();
      await expect(records.saveRef("missing", ref("refs/heads/main"), at(0))).rejects.toThrow();
    });
  });

  it("deleting a repository deletes its refs, sync runs and git versions, and nothing else", async () => {
    const records = await open();
    if (handle === undefined) throw new Error("no database");
    const catalog = new CatalogRecords(handle.db);
    const runs = new SyncRunRecords(handle.db);
    await records.insert(newRepository("R1"));
    await records.insert(newRepository("R2"));
    for (const id of ["R1", "R2"]) {
      await records.saveRef(id, ref("refs/tags/v1.0.0"), at(0));
      await runs.start({ id: `run-${id}`, repositoryId: id, startedAt: at(0) });
    }
    const version = {
      version: "1.0.0",
      isDev: false,
      origin: "git" as const,
      reference: "a".repeat(40),
      metadata: "{}",
      distSha256: "1".repeat(64),
      distSha1: "2".repeat(40),
      distSize: 10,
    };
    await catalog.saveVersion(
      { ...version, id: "V1", packageName: "acme/one", versionNormalized: "1.0.0.0", repositoryId: "R1" },
      at(0),
    );
    await catalog.saveVersion(
      { ...version, id: "V2", packageName: "acme/two", versionNormalized: "1.0.0.0", repositoryId: "R2" },
      at(0),
    );

    await records.delete("R1");
    expect(await records.findById("R1")).toBeNull();
    expect(await records.refs("R1")).toEqual([]);
    expect(await runs.find("run-R1")).toBeNull();
    expect(await catalog.versionsOfRepository("R1")).toEqual([]);

    expect(await records.findById("R2")).not.toBeNull();
    expect(await records.refs("R2")).toHaveLength(1);
    expect(await runs.find("run-R2")).not.toBeNull();
    expect((await catalog.versionsOfRepository("R2")).map((v) => v.id)).toEqual(["V2"]);
    await records.delete("absent");
  });
});
