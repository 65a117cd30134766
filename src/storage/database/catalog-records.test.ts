import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { CatalogRecords, nextChangeStamp, type NewVersion } from "./catalog-records.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { RepositoryRecords } from "./repository-records.ts";

const T0 = "2026-01-01T10:00:00.000Z";

function at(offsetMs: number): string {
  return new Date(Date.parse(T0) + offsetMs).toISOString();
}

let nextId = 0;

function newVersion(overrides: Partial<NewVersion> = {}): NewVersion {
  nextId += 1;
  return {
    id: `01JVERSION${String(nextId).padStart(16, "0")}`,
    packageName: "acme/widget",
    version: "1.0.0",
    versionNormalized: "1.0.0.0",
    isDev: false,
    origin: "upload",
    repositoryId: null,
    reference: "a".repeat(40),
    metadata: JSON.stringify({ name: "acme/widget", version: "1.0.0" }),
    distSha256: "1".repeat(64),
    distSha1: "2".repeat(40),
    distSize: 1234,
    ...overrides,
  };
}

describe("nextChangeStamp", () => {
  it("is the current time rounded up to a whole second when there is no previous stamp", () => {
    expect(nextChangeStamp(null, "2026-01-01T10:00:00.000Z")).toBe("2026-01-01T10:00:00.000Z");
    expect(nextChangeStamp(null, "2026-01-01T10:00:00.001Z")).toBe("2026-01-01T10:00:01.000Z");
    expect(nextChangeStamp(null, "2026-01-01T10:00:00.999Z")).toBe("2026-01-01T10:00:01.000Z");
  });

  it("moves by at least one second after the previous stamp, even within the same second", () => {
    // The previous change was stamped 10:00:01 (from 10:00:00.300); this one happens at 10:00:00.800.
    expect(nextChangeStamp("2026-01-01T10:00:01.000Z", "2026-01-01T10:00:00.800Z")).toBe(
      "2026-01-01T10:00:02.000Z",
    );
    // Same instant as the previous stamp.
    expect(nextChangeStamp("2026-01-01T10:00:00.000Z", "2026-01-01T10:00:00.000Z")).toBe(
      "2026-01-01T10:00:01.000Z",
    );
    // A clock that went backwards still moves forwards.
    expect(nextChangeStamp("2026-01-01T10:00:05.000Z", "2026-01-01T09:59:00.000Z")).toBe(
      "2026-01-01T10:00:06.000Z",
    );
  });

  it("uses the current time when it is later than the previous stamp plus one second", () => {
    expect(nextChangeStamp("2026-01-01T10:00:00.000Z", "2026-01-01T10:05:00.250Z")).toBe(
      "2026-01-01T10:05:01.000Z",
    );
    expect(nextChangeStamp("1970-01-01T00:00:00.000Z", T0)).toBe(T0);
  });

  it("always returns whole seconds, strictly after the previous stamp's second and not before now", () => {
    let previous: string | null = null;
    const seen: number[] = [];
    for (const offset of [0, 1, 2, 500, 999, 1000, 1001, 1002, 5000, 5000, 4000, 60_000]) {
      const now = at(offset);
      const stamp = nextChangeStamp(previous, now);
      const ms = Date.parse(stamp);
      expect(ms % 1000).toBe(0);
      expect(ms).toBeGreaterThanOrEqual(Date.parse(now));
      if (previous !== null) expect(ms - Date.parse(previous)).toBeGreaterThanOrEqual(1000);
      seen.push(ms);
      previous = stamp;
    }
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe.each(testEngines())("CatalogRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<CatalogRecords> {
    handle = await createTestDatabase(engine);
    return new CatalogRecords(handle.db);
  }

  async function addRepository(id: string): Promise<void> {
    if (handle === undefined) throw new Error("open the database first");
    await new RepositoryRecords(handle.db).insert({
      id,
      name: `repo-${id}`,
      type: "git",
      url: `https://git.example.com/${id}.git`,
      credentials: null,
      createdAt: T0,
      updatedAt: T0,
    });
  }

  it("starts empty at revision 0", async () => {
    const catalog = await open();
    expect(await catalog.revision()).toEqual({ revision: 0, changedAt: "1970-01-01T00:00:00.000Z" });
    expect(await catalog.packageNames()).toEqual([]);
    expect(await catalog.packageUpdatedAt("acme/widget")).toBeNull();
    expect(await catalog.versions("acme/widget", false)).toEqual([]);
    expect(await catalog.findVersion("acme/widget", "1.0.0.0")).toBeNull();
    expect(await catalog.distInUse("1".repeat(64))).toBe(false);
  });

  it("saves a version and reads it back with every field", async () => {
    const catalog = await open();
    await addRepository("R1");
    const version = newVersion({ origin: "git", repositoryId: "R1", isDev: false });
    await catalog.saveVersion(version, at(250));
    const expected = { ...version, createdAt: at(250), updatedAt: at(250) };
    expect(await catalog.findVersion("acme/widget", "1.0.0.0")).toEqual(expected);
    expect(await catalog.versions("acme/widget", false)).toEqual([expected]);
    expect(await catalog.versionsOfRepository("R1")).toEqual([expected]);
    expect(await catalog.packageNames()).toEqual(["acme/widget"]);
    // Whole seconds, rounded up.
    expect(await catalog.packageUpdatedAt("acme/widget")).toBe("2026-01-01T10:00:01.000Z");
    expect(await catalog.revision()).toEqual({ revision: 1, changedAt: "2026-01-01T10:00:01.000Z" });
  });

  it("replaces a version with the same name and normalized version, keeping its id and creation time", async () => {
    const catalog = await open();
    const first = newVersion();
    await catalog.saveVersion(first, at(0));
    const replacement = newVersion({
      version: "v1.0.0",
      reference: "b".repeat(40),
      metadata: JSON.stringify({ name: "acme/widget", version: "v1.0.0", description: "new" }),
      distSha256: "3".repeat(64),
      distSha1: "4".repeat(40),
      distSize: 99,
    });
    expect(replacement.id).not.toBe(first.id);
    await catalog.saveVersion(replacement, at(60_000));

    const stored = await catalog.versions("acme/widget", false);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toEqual({
      ...replacement,
      id: first.id,
      createdAt: at(0),
      updatedAt: at(60_000),
    });
    expect(await catalog.distInUse("1".repeat(64))).toBe(false);
    expect(await catalog.distInUse("3".repeat(64))).toBe(true);
    expect((await catalog.revision()).revision).toBe(2);
  });

  it("inserts a version only when it is absent, changing nothing otherwise", async () => {
    const catalog = await open();
    const first = newVersion();
    expect(await catalog.insertVersionIfAbsent(first, at(0))).toBe(true);
    expect(await catalog.findVersion("acme/widget", "1.0.0.0")).toEqual({
      ...first,
      createdAt: at(0),
      updatedAt: at(0),
    });
    const revision = await catalog.revision();
    const stamp = await catalog.packageUpdatedAt("acme/widget");

    const other = newVersion({ reference: "b".repeat(40), distSha256: "3".repeat(64) });
    expect(await catalog.insertVersionIfAbsent(other, at(5000))).toBe(false);
    expect(await catalog.findVersion("acme/widget", "1.0.0.0")).toEqual({
      ...first,
      createdAt: at(0),
      updatedAt: at(0),
    });
    expect(await catalog.revision()).toEqual(revision);
    expect(await catalog.packageUpdatedAt("acme/widget")).toBe(stamp);

    expect(await catalog.insertVersionIfAbsent(newVersion({ versionNormalized: "1.0.1.0" }), at(5000))).toBe(
      true,
    );
    expect((await catalog.revision()).revision).toBe(revision.revision + 1);
  });

  it("lets exactly one of concurrent insert-if-absent calls for one version win", async () => {
    const catalog = await open();
    const attempts = Array.from({ length: 8 }, (_, index) =>
      newVersion({ reference: String(index).repeat(40) }),
    );
    const results = await Promise.all(
      attempts.map((version) => catalog.insertVersionIfAbsent(version, at(0))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = attempts[results.indexOf(true)];
    expect((await catalog.findVersion("acme/widget", "1.0.0.0"))?.reference).toBe(winner?.reference);
    expect((await catalog.revision()).revision).toBe(1);
  });

  it("splits stable and dev versions", async () => {
    const catalog = await open();
    await catalog.saveVersion(newVersion({ version: "1.0.0", versionNormalized: "1.0.0.0" }), at(0));
    await catalog.saveVersion(newVersion({ version: "2.0.0", versionNormalized: "2.0.0.0" }), at(0));
    await catalog.saveVersion(
      newVersion({ version: "dev-main", versionNormalized: "dev-main", isDev: true }),
      at(0),
    );
    await catalog.saveVersion(
      newVersion({
        packageName: "acme/other",
        version: "dev-feature",
        versionNormalized: "dev-feature",
        isDev: true,
      }),
      at(0),
    );

    const stable = await catalog.versions("acme/widget", false);
    expect(stable.map((v) => v.versionNormalized).sort()).toEqual(["1.0.0.0", "2.0.0.0"]);
    expect(stable.every((v) => !v.isDev)).toBe(true);
    const dev = await catalog.versions("acme/widget", true);
    expect(dev.map((v) => v.versionNormalized)).toEqual(["dev-main"]);
    expect(dev[0]?.isDev).toBe(true);
    expect(await catalog.versions("acme/other", false)).toEqual([]);
    expect((await catalog.versions("acme/other", true)).map((v) => v.version)).toEqual(["dev-feature"]);
    expect(await catalog.packageNames()).toEqual(["acme/other", "acme/widget"]);
  });

  it("deletes a version, and the package with its last version", async () => {
    const catalog = await open();
    await catalog.saveVersion(newVersion({ version: "1.0.0", versionNormalized: "1.0.0.0" }), at(0));
    await catalog.saveVersion(newVersion({ version: "1.1.0", versionNormalized: "1.1.0.0" }), at(0));
    expect((await catalog.revision()).revision).toBe(2);

    expect(await catalog.deleteVersion("acme/widget", "1.0.0.0", at(10_000))).toBe(true);
    expect(await catalog.findVersion("acme/widget", "1.0.0.0")).toBeNull();
    expect(await catalog.packageNames()).toEqual(["acme/widget"]);
    expect(await catalog.packageUpdatedAt("acme/widget")).toBe(at(10_000));
    expect(await catalog.revision()).toEqual({ revision: 3, changedAt: at(10_000) });

    expect(await catalog.deleteVersion("acme/widget", "1.1.0.0", at(20_000))).toBe(true);
    expect(await catalog.packageNames()).toEqual([]);
    expect(await catalog.packageUpdatedAt("acme/widget")).toBeNull();
    expect(await catalog.versions("acme/widget", false)).toEqual([]);
    expect(await catalog.revision()).toEqual({ revision: 4, changedAt: at(20_000) });
  });

  it("reports a missing version as not deleted, without bumping the revision", async () => {
    const catalog = await open();
    await catalog.saveVersion(newVersion(), at(0));
    const before = await catalog.revision();
    const updatedBefore = await catalog.packageUpdatedAt("acme/widget");
    expect(await catalog.deleteVersion("acme/widget", "9.9.9.9", at(5000))).toBe(false);
    expect(await catalog.deleteVersion("acme/absent", "1.0.0.0", at(5000))).toBe(false);
    expect(await catalog.revision()).toEqual(before);
    expect(await catalog.packageUpdatedAt("acme/widget")).toBe(updatedBefore);
  });

  it("moves Last-Modified of a package that comes back within the second it lost its last version", async () => {
    const catalog = await open();
    // A client fetched the p2 document stamped 10:00:01 (the change happened at 10:00:00.300).
    await catalog.saveVersion(newVersion(), at(300));
    const served = await catalog.packageUpdatedAt("acme/widget");
    expect(served).toBe(at(1000));
    // In the same second the version is deleted and another one published under the same name.
    await catalog.deleteVersion("acme/widget", "1.0.0.0", at(500));
    await catalog.saveVersion(newVersion({ reference: "c".repeat(40) }), at(600));
    // Revalidating with If-Modified-Since: 10:00:01 must not be answered 304.
    const again = await catalog.packageUpdatedAt("acme/widget");
    expect(Date.parse(again ?? "")).toBeGreaterThan(Date.parse(served ?? ""));
    expect(await catalog.revision()).toEqual({ revision: 3, changedAt: at(3000) });
  });

  it("stamps a brand-new package with the current time", async () => {
    const catalog = await open();
    await catalog.saveVersion(newVersion({ packageName: "acme/a" }), at(0));
    await catalog.saveVersion(newVersion({ packageName: "acme/b" }), at(3_600_000));
    expect(await catalog.packageUpdatedAt("acme/b")).toBe(at(3_600_000));
  });

  it("bumps the revision and moves Last-Modified by a second for changes within the same second", async () => {
    const catalog = await open();
    const stamps: string[] = [];
    const packageStamps: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      await catalog.saveVersion(
        newVersion({ version: `1.0.${index}`, versionNormalized: `1.0.${index}.0` }),
        at(100 + index * 100),
      );
      stamps.push((await catalog.revision()).changedAt);
      packageStamps.push((await catalog.packageUpdatedAt("acme/widget")) ?? "");
    }
    expect(stamps).toEqual([at(1000), at(2000), at(3000), at(4000)]);
    expect(packageStamps).toEqual(stamps);
    expect((await catalog.revision()).revision).toBe(4);

    // A deletion in the same second moves both stamps again.
    await catalog.deleteVersion("acme/widget", "1.0.0.0", at(500));
    expect(await catalog.revision()).toEqual({ revision: 5, changedAt: at(5000) });
    expect(await catalog.packageUpdatedAt("acme/widget")).toBe(at(5000));

    // Once time has caught up, the stamp is the current time (rounded up).
    await catalog.saveVersion(newVersion({ version: "2.0.0", versionNormalized: "2.0.0.0" }), at(60_400));
    expect(await catalog.revision()).toEqual({ revision: 6, changedAt: at(61_000) });
  });

  it("keeps the stamps of other packages when one package changes", async () => {
    const catalog = await open();
    await catalog.saveVersion(newVersion({ packageName: "acme/a" }), at(0));
    await catalog.saveVersion(newVersion({ packageName: "acme/b" }), at(30_000));
    expect(await catalog.packageUpdatedAt("acme/a")).toBe(at(0));
    expect(await catalog.packageUpdatedAt("acme/b")).toBe(at(30_000));
    await catalog.saveVersion(
      newVersion({ packageName: "acme/b", versionNormalized: "2.0.0.0" }),
      at(30_000),
    );
    expect(await catalog.packageUpdatedAt("acme/a")).toBe(at(0));
    expect(await catalog.packageUpdatedAt("acme/b")).toBe(at(31_000));
  });

  it("tells whether a dist is still in use", async () => {
    const catalog = await open();
    const shared = "5".repeat(64);
    await catalog.saveVersion(newVersion({ versionNormalized: "1.0.0.0", distSha256: shared }), at(0));
    await catalog.saveVersion(newVersion({ versionNormalized: "1.0.1.0", distSha256: shared }), at(0));
    expect(await catalog.distInUse(shared)).toBe(true);
    await catalog.deleteVersion("acme/widget", "1.0.0.0", at(0));
    expect(await catalog.distInUse(shared)).toBe(true);
    await catalog.deleteVersion("acme/widget", "1.0.1.0", at(0));
    expect(await catalog.distInUse(shared)).toBe(false);
  });

  it("lists the versions of one repository only", async () => {
    const catalog = await open();
    await addRepository("R1");
    await addRepository("R2");
    await catalog.saveVersion(
      newVersion({ origin: "git", repositoryId: "R1", versionNormalized: "1.0.0.0" }),
      at(0),
    );
    await catalog.saveVersion(
      newVersion({
        origin: "git",
        repositoryId: "R1",
        packageName: "acme/b",
        versionNormalized: "dev-main",
        isDev: true,
      }),
      at(0),
    );
    await catalog.saveVersion(
      newVersion({ origin: "git", repositoryId: "R2", versionNormalized: "2.0.0.0" }),
      at(0),
    );
    await catalog.saveVersion(newVersion({ versionNormalized: "3.0.0.0" }), at(0));

    const r1 = await catalog.versionsOfRepository("R1");
    expect(r1.map((v) => `${v.packageName} ${v.versionNormalized}`).sort()).toEqual([
      "acme/b dev-main",
      "acme/widget 1.0.0.0",
    ]);
    expect((await catalog.versionsOfRepository("R2")).map((v) => v.versionNormalized)).toEqual(["2.0.0.0"]);
    expect(await catalog.versionsOfRepository("R3")).toEqual([]);
  });

  it("refuses a version whose repository does not exist", async () => {
    const catalog = await open();
    await expect(
      catalog.saveVersion(newVersion({ origin: "git", repositoryId: "missing" }), at(0)),
    ).rejects.toThrow();
    // The failed transaction left nothing behind.
    expect(await catalog.packageNames()).toEqual([]);
    expect((await catalog.revision()).revision).toBe(0);
  });

  it("gives concurrent changes of one package distinct, increasing stamps", async () => {
    const catalog = await open();
    const count = 12;
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        catalog.saveVersion(
          newVersion({ version: `1.${index}.0`, versionNormalized: `1.${index}.0.0` }),
          at(0),
        ),
      ),
    );
    expect(await catalog.versions("acme/widget", false)).toHaveLength(count);
    // Every save moved the stamps by one second: none computed its stamp from a stale value.
    expect(await catalog.revision()).toEqual({ revision: count, changedAt: at((count - 1) * 1000) });
    expect(await catalog.packageUpdatedAt("acme/widget")).toBe(at((count - 1) * 1000));
  });

  it("gives concurrent changes of different packages distinct catalog stamps", async () => {
    const catalog = await open();
    const count = 10;
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        catalog.saveVersion(newVersion({ packageName: `acme/p${String(index)}` }), at(0)),
      ),
    );
    expect(await catalog.revision()).toEqual({ revision: count, changedAt: at((count - 1) * 1000) });
    // A new package starts after the catalog stamp it saw (it may have existed and been served before).
    for (let index = 0; index < count; index += 1) {
      const stamp = Date.parse((await catalog.packageUpdatedAt(`acme/p${String(index)}`)) ?? "");
      expect(stamp).toBeGreaterThanOrEqual(Date.parse(at(0)));
      expect(stamp).toBeLessThanOrEqual(Date.parse(at((count - 1) * 1000)));
    }
  });

  it("serializes concurrent saves and deletes of one package", async () => {
    const catalog = await open();
    for (let index = 0; index < 6; index += 1) {
      await catalog.saveVersion(newVersion({ versionNormalized: `1.${index}.0.0` }), at(0));
    }
    const base = await catalog.revision();
    expect(base.revision).toBe(6);
    await Promise.all([
      ...Array.from({ length: 3 }, (_, index) =>
        catalog.deleteVersion("acme/widget", `1.${index}.0.0`, at(0)),
      ),
      ...Array.from({ length: 3 }, (_, index) =>
        catalog.saveVersion(newVersion({ versionNormalized: `2.${index}.0.0` }), at(0)),
      ),
    ]);
    expect(await catalog.revision()).toEqual({
      revision: 12,
      changedAt: new Date(Date.parse(base.changedAt) + 6000).toISOString(),
    });
    expect(await catalog.packageUpdatedAt("acme/widget")).toBe(
      new Date(Date.parse(base.changedAt) + 6000).toISOString(),
    );
  });

  it("pages packages by name after a given name, with an optional search on the name", async () => {
    const catalog = await open();
    for (const name of ["acme/alpha", "acme/beta", "beta/tools", "corp/gamma", "corp/zeta"]) {
      await catalog.saveVersion(newVersion({ packageName: name }), at(0));
    }
    const names = async (options: { after: string | null; search: string | null; limit: number }) =>
      (await catalog.packagePage(options)).map((row) => row.name);
    expect(await names({ after: null, search: null, limit: 2 })).toEqual(["acme/alpha", "acme/beta"]);
    expect(await names({ after: "acme/beta", search: null, limit: 2 })).toEqual(["beta/tools", "corp/gamma"]);
    expect(await names({ after: "corp/gamma", search: null, limit: 2 })).toEqual(["corp/zeta"]);
    expect(await names({ after: "corp/zeta", search: null, limit: 2 })).toEqual([]);
    // After a name that is not there: the next one in order.
    expect(await names({ after: "b", search: null, limit: 1 })).toEqual(["beta/tools"]);
    expect(await names({ after: null, search: "beta", limit: 10 })).toEqual(["acme/beta", "beta/tools"]);
    expect(await names({ after: "acme/beta", search: "beta", limit: 10 })).toEqual(["beta/tools"]);
    expect(await names({ after: null, search: "ETA", limit: 10 })).toEqual([
      "acme/beta",
      "beta/tools",
      "corp/zeta",
    ]);
    expect(await names({ after: null, search: "", limit: 10 })).toHaveLength(5);
    const [row] = await catalog.packagePage({ after: null, search: "alpha", limit: 1 });
    expect(row).toEqual({ name: "acme/alpha", createdAt: at(0), updatedAt: expect.any(String) as unknown });
  });

  it("treats LIKE wildcards and the escape character in a search as plain text", async () => {
    const catalog = await open();
    for (const name of ["acme/a_b", "acme/axb", "acme/a-b"]) {
      await catalog.saveVersion(newVersion({ packageName: name }), at(0));
    }
    const names = async (search: string) =>
      (await catalog.packagePage({ after: null, search, limit: 10 })).map((row) => row.name);
    expect(await names("a_b")).toEqual(["acme/a_b"]);
    expect(await names("%")).toEqual([]);
    expect(await names("a%b")).toEqual([]);
    expect(await names("!")).toEqual([]);
    expect(await names("!_")).toEqual([]);
    expect(await names("'")).toEqual([]);
  });

  it("finds a package, and the versions, summaries and metadata of packages", async () => {
    const catalog = await open();
    await addRepository("R1");
    const stable = newVersion({ packageName: "acme/widget", versionNormalized: "1.0.0.0" });
    const dev = newVersion({
      packageName: "acme/widget",
      version: "dev-main",
      versionNormalized: "dev-main",
      isDev: true,
      origin: "git",
      repositoryId: "R1",
    });
    const other = newVersion({ packageName: "acme/other" });
    for (const version of [stable, dev, other]) await catalog.saveVersion(version, at(0));

    expect(await catalog.findPackage("acme/widget")).toEqual({
      name: "acme/widget",
      createdAt: at(0),
      updatedAt: await catalog.packageUpdatedAt("acme/widget"),
    });
    expect(await catalog.findPackage("acme/absent")).toBeNull();

    const all = await catalog.packageVersions("acme/widget");
    expect(all.map((version) => version.id).sort()).toEqual([stable.id, dev.id].sort());
    expect(await catalog.packageVersions("acme/absent")).toEqual([]);

    const summaries = await catalog.versionSummaries(["acme/widget", "acme/other", "acme/absent"]);
    expect(summaries.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [stable, dev, other]
        .map((version) => ({
          id: version.id,
          packageName: version.packageName,
          version: version.version,
          versionNormalized: version.versionNormalized,
          isDev: version.isDev,
          origin: version.origin,
          repositoryId: version.repositoryId,
        }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(await catalog.versionSummaries([])).toEqual([]);

    const metadata = await catalog.versionMetadata([stable.id, "01JNOSUCHVERSION"]);
    expect([...metadata]).toEqual([[stable.id, stable.metadata]]);
    expect(await catalog.versionMetadata([])).toEqual(new Map());
  });
});
