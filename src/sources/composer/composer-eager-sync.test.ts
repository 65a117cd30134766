import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { ComposerUpstreamDouble } from "../../../test/doubles/composer-upstream-double.ts";
import type { SyncRun } from "../../storage/database/sync-run-records.ts";

const LM1 = "Wed, 01 Jan 2025 00:00:00 GMT";

let t: TestRuntime;
let admin: TestToken;
let reader: TestToken;
const doubles: ComposerUpstreamDouble[] = [];

beforeAll(async () => {
  t = await TestRuntime.start({
    env: { PB_PROXY_METADATA_MAX_AGE_SECONDS: "60", PB_PROXY_TIMEOUT_SECONDS: "1" },
  });
  admin = await t.createToken({ scopes: ["admin"] });
  reader = await t.createToken({ scopes: ["read"] });
});

afterAll(async () => {
  for (const double of doubles) await double.stop();
  await t.cleanup();
});

async function upstreamDouble(): Promise<ComposerUpstreamDouble> {
  const double = new ComposerUpstreamDouble();
  await double.start();
  doubles.push(double);
  return double;
}

async function addUpstream(
  double: ComposerUpstreamDouble,
  name: string,
  extra: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await t.request("/api/repositories", {
    method: "POST",
    token: admin.token,
    body: { type: "composer", url: double.url, name, ...extra },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Record<string, unknown>;
}

async function sync(name: string): Promise<{ status: number; run: SyncRun }> {
  const response = await t.request(`/api/repositories/${name}/sync`, { method: "POST", token: admin.token });
  return { status: response.status, run: (await response.json()) as SyncRun };
}

async function repositoryEvents(action: string): Promise<Record<string, unknown>[]> {
  await t.runtime.audit.log.flush();
  const rows = await t.runtime.database.db
    .selectFrom("audit_logs")
    .select(["details"])
    .where("event", "=", "repository")
    .where("action", "=", action)
    .orderBy("seq")
    .execute();
  return rows.map((row) => JSON.parse(row.details ?? "{}") as Record<string, unknown>);
}

const get = (path: string) => t.request(path, { token: reader.token });

describe("eager mode", () => {
  let up: ComposerUpstreamDouble;

  beforeAll(async () => {
    up = await upstreamDouble();
    up.root = { "available-packages": ["eager/a", "eager/b", "other/x"] };
    up.publish("eager/a", [{ version: "1.0.0", bytes: "a100" }], LM1);
    up.publish(
      "eager/b",
      [
        { version: "2.0.0", bytes: "b200" },
        { version: "1.0.0", bytes: "b100" },
      ],
      LM1,
    );
    up.publish("solo/one", [{ version: "1.0.0", bytes: "one100" }], LM1);
    up.publish("other/x", [{ version: "1.0.0", bytes: "x100" }], LM1);
  });

  it("takes eager patterns through the API, and refuses bad ones", async () => {
    const added = await addUpstream(up, "eager-up", { eagerPackages: ["eager/*", "solo/one"] });
    expect(added).toMatchObject({ type: "composer", eagerPackages: ["eager/*", "solo/one"] });
    for (const eagerPackages of [["Not A Name"], ["acme"]]) {
      const refused = await t.request("/api/repositories/eager-up", {
        method: "PATCH",
        token: admin.token,
        body: { eagerPackages },
      });
      expect(refused.status).toBe(400);
    }
    const git = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { url: "https://git.example.com/a.git", eagerPackages: ["a/*"] },
    });
    expect(git.status).toBe(400);
  });

  it("mirrors every eager package's documents and dists in one sync run, with counts and events", async () => {
    const { status, run } = await sync("eager-up");
    expect(status, JSON.stringify(run)).toBe(200);
    expect(run.details.upstream).toEqual({
      mode: "full",
      packages: { fetched: 3, unchanged: 0, failed: 0, gone: 0 },
      versions: { new: 4, known: 0 },
      dists: { fetched: 4, unchanged: 0, failed: 0 },
      failures: [],
      feedError: null,
    });
    // other/x is listed but no eager pattern matches it.
    expect(up.paths().filter((p) => p.includes("other/x"))).toEqual([]);
    const completed = await repositoryEvents("sync_completed");
    expect(completed.at(-1)).toMatchObject({ mode: "full", dists: { fetched: 4, unchanged: 0, failed: 0 } });
    expect((await repositoryEvents("dist_mirrored")).length).toBe(4);
    const history = (await (
      await t.request("/api/repositories/eager-up/syncs", { token: admin.token })
    ).json()) as {
      syncs: SyncRun[];
    };
    expect(history.syncs[0]?.status).toBe("succeeded");
  });

  it("asks conditionally the next time: nothing changed, nothing downloaded again", async () => {
    const before = up.seen.length;
    const { run } = await sync("eager-up");
    expect(run.details.upstream?.packages).toEqual({ fetched: 0, unchanged: 3, failed: 0, gone: 0 });
    expect(run.details.upstream?.dists).toEqual({ fetched: 0, unchanged: 4, failed: 0 });
    const asked = up.seen.slice(before).filter((r) => r.url.startsWith("/p2/eager/a.json"));
    expect(asked[0]?.headers["if-modified-since"]).toBe(LM1);
    expect(up.seen.slice(before).some((r) => r.url.startsWith("/dists/"))).toBe(false);
  });

  it("serves the mirrored packages and dists with the upstream down", async () => {
    up.failStatus = 503;
    try {
      const p2 = await get("/p2/eager/b.json");
      expect(p2.status).toBe(200);
      const document = (await p2.json()) as { packages: Record<string, { dist: { url: string } }[]> };
      const urls = (document.packages["eager/b"] ?? []).map((v) => v.dist.url);
      expect(urls).toHaveLength(2);
      for (const url of urls) {
        const dist = await get(new URL(url).pathname);
        expect(dist.status).toBe(200);
      }
    } finally {
      up.failStatus = null;
    }
  });

  it("answers NothingToSync for an upstream without eager packages", async () => {
    const lazy = await upstreamDouble();
    await addUpstream(lazy, "lazy-up", { packages: ["lazy/*"] });
    const response = await t.request("/api/repositories/lazy-up/sync", {
      method: "POST",
      token: admin.token,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe("NothingToSync");
  });
});

describe("eager listings", () => {
  it("lists wildcard names with the upstream's package list API (?vendor=, ?filter=)", async () => {
    const up = await upstreamDouble();
    up.root = { list: "/packages/list.json" };
    up.dynamic.set("/packages/list.json", (url) => {
      const names =
        url.searchParams.get("vendor") === "listed"
          ? ["listed/one", "listed/two", "Bad Name", 42]
          : url.searchParams.get("filter") === "tool-*"
            ? ["tool-x/cli", "listed/one"]
            : [];
      return { status: 200, body: JSON.stringify({ packageNames: names }) };
    });
    up.publish("listed/one", [{ version: "1.0.0", bytes: "l1" }], LM1);
    up.publish("listed/two", [{ version: "1.0.0", bytes: "l2" }], LM1);
    up.publish("tool-x/cli", [{ version: "1.0.0", bytes: "t1" }], LM1);
    await addUpstream(up, "listed-up", { eagerPackages: ["listed/*", "tool-*"] });
    const { status, run } = await sync("listed-up");
    expect(status, JSON.stringify(run)).toBe(200);
    expect(run.details.upstream?.packages.fetched).toBe(3);
    expect(up.paths()).toContain("/packages/list.json?vendor=listed");
    expect(up.paths()).toContain("/packages/list.json?filter=tool-*");
  });

  it("refuses wildcards on an upstream that lists nothing", async () => {
    const up = await upstreamDouble();
    await addUpstream(up, "unlisted-up", { eagerPackages: ["some/*"] });
    const { status, run } = await sync("unlisted-up");
    expect(status).toBe(502);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/cannot be resolved there; name the packages exactly/);
  });

  it("refuses patterns that match more than 5000 of an upstream's 100,000 names", async () => {
    const up = await upstreamDouble();
    up.root = { "available-packages": Array.from({ length: 100_000 }, (_, i) => `huge/p${i}`) };
    await addUpstream(up, "huge-up", { eagerPackages: ["huge/*"] });
    const before = up.seen.length;
    const { status, run } = await sync("huge-up");
    expect(status).toBe(502);
    expect(run.error).toMatch(/match 100000 packages, more than the 5000/);
    // Nothing was fetched.
    expect(up.seen.slice(before).map((r) => r.url)).toEqual(["/packages.json"]);
  });
});

describe("eager syncs against failing upstreams", () => {
  it("records each package that fails, goes on with the others, and ends failed with counts", async () => {
    const up = await upstreamDouble();
    up.publish("flaky/ok", [{ version: "1.0.0", bytes: "ok" }], LM1);
    up.publish("flaky/nodist", [{ version: "1.0.0", bytes: "nd" }], LM1);
    up.publish("flaky/badsum", [{ version: "1.0.0", bytes: "bs" }], LM1);
    up.files.set("/dists/flaky/badsum/1.0.0.zip", { body: Buffer.from("tampered") });
    up.failWhen = (path) => path.startsWith("/dists/flaky/nodist/");
    await addUpstream(up, "flaky-up", {
      eagerPackages: ["flaky/ok", "flaky/nodist", "flaky/badsum", "flaky/missing"],
    });
    const { status, run } = await sync("flaky-up");
    expect(status).toBe(502);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/^3 of 4 packages could not be mirrored/);
    const counts = run.details.upstream;
    expect(counts?.packages).toEqual({ fetched: 1, unchanged: 0, failed: 3, gone: 0 });
    expect(counts?.dists).toEqual({ fetched: 1, unchanged: 0, failed: 2 });
    expect(counts?.failures.map((f) => f.package)).toEqual(["flaky/badsum", "flaky/missing", "flaky/nodist"]);
    expect(counts?.failures[0]?.reason).toMatch(/does not match its shasum/);
    expect(counts?.failures[1]?.reason).toMatch(/does not have this package/);
    // What succeeded is served; the refused dist was not stored.
    expect((await get("/p2/flaky/ok.json")).status).toBe(200);
    const stored = await t.runtime.database.db
      .selectFrom("proxy_versions")
      .select(["package_name", "dist_sha256"])
      .where("package_name", "like", "flaky/%")
      .orderBy("package_name")
      .execute();
    expect(stored.map((row) => [row.package_name, row.dist_sha256 !== null])).toEqual([
      ["flaky/badsum", false],
      ["flaky/nodist", false],
      ["flaky/ok", true],
    ]);
    // Once the upstream is back, the next sync mirrors what failed.
    up.failWhen = null;
    const again = await sync("flaky-up");
    expect(again.run.details.upstream?.dists.fetched).toBe(1);
  });

  it("ends failed with counts when the upstream goes down mid-sync", async () => {
    const up = await upstreamDouble();
    const names = ["down/a", "down/b", "down/c", "down/d", "down/e", "down/f"];
    for (const name of names) up.publish(name, [{ version: "1.0.0", bytes: name }], LM1);
    let p2Requests = 0;
    up.failWhen = (path) => path.startsWith("/p2/") && ++p2Requests > 4;
    await addUpstream(up, "down-up", { eagerPackages: names });
    const { run } = await sync("down-up");
    expect(run.status).toBe("failed");
    const packages = run.details.upstream?.packages;
    expect((packages?.fetched ?? 0) + (packages?.failed ?? 0)).toBe(6);
    expect(packages?.failed).toBeGreaterThan(0);
    expect((await repositoryEvents("sync_failed")).at(-1)).toMatchObject({ sync_run: run.id });
  });

  it("ends failed when the upstream hangs (timeouts), and the repository is free again", async () => {
    const up = await upstreamDouble();
    up.publish("hang/a", [{ version: "1.0.0", bytes: "h" }], LM1);
    await addUpstream(up, "hang-up", { eagerPackages: ["hang/a"] });
    up.delayMs = 3_000;
    const { run } = await sync("hang-up");
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/did not answer within 1000 ms/);
    up.delayMs = 0;
    expect((await sync("hang-up")).run.status).toBe("succeeded");
  });
});
