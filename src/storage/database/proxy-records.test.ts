import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { ProxyRecords, type NewProxyVersion } from "./proxy-records.ts";
import { RepositoryRecords } from "./repository-records.ts";

const T0 = "2026-01-01T10:00:00.000Z";
const T1 = "2026-01-01T11:00:00.000Z";

describe.each(testEngines())("ProxyRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<{ proxy: ProxyRecords; repositories: RepositoryRecords }> {
    handle = await createTestDatabase(engine);
    const repositories = new RepositoryRecords(handle.db);
    for (const id of ["U1", "U2"]) {
      await repositories.insert({
        id,
        name: `upstream-${id}`,
        type: "composer",
        url: `https://${id}.example`,
        credentials: null,
        createdAt: T0,
        updatedAt: T0,
        packagePatterns: ["acme/*"],
        metadataUrl: `https://${id}.example/p2/%package%.json`,
      });
    }
    return { proxy: new ProxyRecords(handle.db), repositories };
  }

  const version = (overrides: Partial<NewProxyVersion> = {}): NewProxyVersion => ({
    repositoryId: "U1",
    packageName: "acme/lib",
    versionNormalized: "1.0.0.0",
    entry: '{"name":"acme/lib","version":"1.0.0"}',
    reference: "a".repeat(40),
    distKey: "d".repeat(40),
    upstreamDistUrl: "https://U1.example/acme/lib.zip",
    upstreamShasum: "s".repeat(40),
    firstSeenAt: T0,
    ...overrides,
  });

  it("stores a composer upstream's patterns and metadata URL", async () => {
    const { repositories } = await open();
    expect(await repositories.findById("U1")).toMatchObject({
      type: "composer",
      packagePatterns: ["acme/*"],
      metadataUrl: "https://U1.example/p2/%package%.json",
    });
    await repositories.update(
      "U1",
      { packagePatterns: ["acme/lib"], metadataUrl: "https://x/%package%" },
      T1,
    );
    expect(await repositories.findById("U1")).toMatchObject({
      packagePatterns: ["acme/lib"],
      metadataUrl: "https://x/%package%",
    });
  });

  it("saves and replaces documents per upstream, name and dev flag", async () => {
    const { proxy } = await open();
    expect(await proxy.findDocument("U1", "acme/lib", false)).toBeNull();
    const document = {
      repositoryId: "U1",
      packageName: "acme/lib",
      dev: false,
      found: true,
      versions: ["1.1.0.0", "1.0.0.0"],
      upstreamLastModified: "Tue, 01 Sep 2026 10:00:00 GMT",
      checkedAt: T0,
      changedAt: "2026-01-01T10:00:00.000Z",
    };
    await proxy.saveDocument(document);
    await proxy.saveDocument({
      ...document,
      dev: true,
      found: false,
      versions: [],
      upstreamLastModified: null,
    });
    expect(await proxy.findDocument("U1", "acme/lib", false)).toEqual(document);
    expect(await proxy.findDocument("U1", "acme/lib", true)).toMatchObject({ found: false, versions: [] });
    await proxy.saveDocument({ ...document, versions: ["1.0.0.0"], checkedAt: T1 });
    expect(await proxy.findDocument("U1", "acme/lib", false)).toMatchObject({
      versions: ["1.0.0.0"],
      checkedAt: T1,
    });
    expect(await proxy.findDocument("U2", "acme/lib", false)).toBeNull();
  });

  it("keeps the first-seen ledger entry, a conflict beside it, and the dist once recorded", async () => {
    const { proxy } = await open();
    await proxy.recordVersion(version());
    await proxy.recordVersion(version({ entry: '{"changed":true}', reference: "b".repeat(40) }));
    await proxy.recordVersion(version({ repositoryId: "U2" }));
    const ledger = await proxy.versions("U1", "acme/lib");
    expect([...ledger.keys()]).toEqual(["1.0.0.0"]);
    expect(ledger.get("1.0.0.0")).toMatchObject({
      reference: "a".repeat(40),
      conflictingEntry: null,
      distSha256: null,
    });

    await proxy.recordConflict(version(), '{"changed":true}', "2026-09-01T10:00:00.000Z");
    const dist = { sha256: "e".repeat(64), sha1: "f".repeat(40), size: 1234, at: T1 };
    await proxy.recordDist(version(), dist);
    await proxy.recordDist(version(), { ...dist, sha256: "0".repeat(64) });
    const [found, other] = await proxy.findDist("acme/lib", "1.0.0.0", "d".repeat(40));
    expect(found).toMatchObject({
      repositoryId: "U1",
      conflictingEntry: '{"changed":true}',
      distSha256: "e".repeat(64),
      distSha1: "f".repeat(40),
      distSize: 1234,
      downloadedAt: T1,
    });
    expect(other).toMatchObject({ repositoryId: "U2", distSha256: null });
    expect(await proxy.findDist("acme/lib", "1.0.0.0", "0".repeat(40))).toEqual([]);
  });

  it("drops an upstream's documents and ledger with the upstream", async () => {
    const { proxy, repositories } = await open();
    await proxy.recordVersion(version());
    await proxy.saveDocument({
      repositoryId: "U1",
      packageName: "acme/lib",
      dev: false,
      found: true,
      versions: ["1.0.0.0"],
      upstreamLastModified: null,
      checkedAt: T0,
      changedAt: T0,
    });
    await repositories.delete("U1");
    expect(await proxy.findDocument("U1", "acme/lib", false)).toBeNull();
    expect((await proxy.versions("U1", "acme/lib")).size).toBe(0);
  });

  it("stores eager patterns, a change feed's cursor and held packages", async () => {
    const { repositories } = await open();
    expect((await repositories.findById("U1"))?.eagerPackages).toEqual([]);
    await repositories.update("U1", { eagerPackages: ["acme/*", "acme/tool"] }, T1);
    expect((await repositories.findById("U1"))?.eagerPackages).toEqual(["acme/*", "acme/tool"]);
    const upstreams = repositories.upstreams;
    expect(await upstreams.changeFeed("U1")).toBeNull();
    await upstreams.saveChangeFeed("U1", { changesUrl: "https://U1.example/changes.json", since: null }, T0);
    await upstreams.saveChangeFeed(
      "U1",
      { changesUrl: "https://U1.example/changes.json", since: "17000000000000" },
      T1,
    );
    expect(await upstreams.changeFeed("U1")).toEqual({
      changesUrl: "https://U1.example/changes.json",
      since: "17000000000000",
    });
    await upstreams.saveChangeFeed("U1", null, T1);
    expect(await upstreams.changeFeed("U1")).toBeNull();
    const document = {
      repositoryId: "U1",
      dev: false,
      versions: ["1.0.0.0"],
      upstreamLastModified: null,
      checkedAt: T0,
      changedAt: T0,
    };
    await repositories.proxy.saveDocument({ ...document, packageName: "acme/b", found: true });
    await repositories.proxy.saveDocument({ ...document, packageName: "acme/b", dev: true, found: true });
    await repositories.proxy.saveDocument({ ...document, packageName: "acme/a", found: true });
    await repositories.proxy.saveDocument({ ...document, packageName: "acme/gone", found: false });
    expect(await upstreams.heldPackages("U1")).toEqual(["acme/a", "acme/b"]);
    expect(await upstreams.heldPackages("U2")).toEqual([]);
  });

  it("records a name conflict once per name and pair, and lists it for both upstreams", async () => {
    const { repositories } = await open();
    const upstreams = repositories.upstreams;
    expect(await upstreams.recordNameConflict("acme/lib", "U1", "U2", T0)).toBe(true);
    expect(await upstreams.recordNameConflict("acme/lib", "U1", "U2", T1)).toBe(false);
    expect(await upstreams.recordNameConflict("acme/other", "U2", "U1", T1)).toBe(true);
    const expected = [
      {
        packageName: "acme/lib",
        servedBy: { id: "U1", name: "upstream-U1" },
        shadowed: { id: "U2", name: "upstream-U2" },
        firstSeenAt: T0,
      },
      {
        packageName: "acme/other",
        servedBy: { id: "U2", name: "upstream-U2" },
        shadowed: { id: "U1", name: "upstream-U1" },
        firstSeenAt: T1,
      },
    ];
    expect(await upstreams.nameConflicts("U1")).toEqual(expected);
    expect(await upstreams.nameConflicts("U2")).toEqual(expected);
    await repositories.delete("U2");
    expect(await upstreams.nameConflicts("U1")).toEqual([]);
  });
});
