import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import {
  ComposerUpstreamDouble,
  type DynamicAnswer,
} from "../../../test/doubles/composer-upstream-double.ts";
import { systemContext } from "../../audit/audit-event.ts";
import { auditTrail } from "../../audit/audit-trail.ts";
import type { SyncRun } from "../../storage/database/sync-run-records.ts";

const LM1 = "Wed, 01 Jan 2025 00:00:00 GMT";
const LM2 = "Thu, 02 Jan 2025 00:00:00 GMT";
const T0 = 17_000_000_000_000;

let t: TestRuntime;
let admin: TestToken;
let reader: TestToken;
let up: ComposerUpstreamDouble;
/** What the change feed answers, by the `since` it is asked with. */
let feed: (since: string | null) => DynamicAnswer;

beforeAll(async () => {
  t = await TestRuntime.start({ env: { PB_PROXY_METADATA_MAX_AGE_SECONDS: "60" } });
  admin = await t.createToken({ scopes: ["admin"] });
  reader = await t.createToken({ scopes: ["read"] });
  up = new ComposerUpstreamDouble();
  await up.start();
  up.root = {
    "available-packages": ["feed/a", "feed/b", "feed/c"],
    "metadata-changes-url": "/metadata/changes.json",
  };
  up.dynamic.set("/metadata/changes.json", (url) => feed(url.searchParams.get("since")));
  for (const name of ["feed/a", "feed/b", "feed/c"])
    up.publish(name, [{ version: "1.0.0", bytes: name }], LM1);
  const response = await t.request("/api/repositories", {
    method: "POST",
    token: admin.token,
    body: { type: "composer", url: up.url, name: "feed-up", eagerPackages: ["feed/*"] },
  });
  expect(response.status).toBe(201);
});

afterAll(async () => {
  await up.stop();
  await t.cleanup();
});

const packagist = (body: object, status = 200): DynamicAnswer => ({ status, body: JSON.stringify(body) });

async function sync(): Promise<SyncRun> {
  const response = await t.request("/api/repositories/feed-up/sync", { method: "POST", token: admin.token });
  return (await response.json()) as SyncRun;
}

async function cursor(): Promise<string | null> {
  const row = await t.runtime.database.db
    .selectFrom("proxy_change_feeds")
    .select(["since", "changes_url"])
    .executeTakeFirst();
  return row?.since ?? null;
}

function askedSince(before: number): string[] {
  return up.seen.slice(before).map((request) => request.url);
}

const follow = () => t.runtime.proxy.followChanges({ trail: auditTrail(t.runtime.audit.log, systemContext) });

describe("following metadata-changes-url", () => {
  it("starts from the feed's timestamp: the first sync is a full one", async () => {
    feed = (since) =>
      since === null
        ? packagist({ error: 'Invalid or missing "since" query parameter', timestamp: T0 }, 400)
        : packagist({ actions: [], timestamp: Number(since) });
    const run = await sync();
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect(run.details.upstream).toMatchObject({
      mode: "full",
      packages: { fetched: 3, unchanged: 0, failed: 0, gone: 0 },
    });
    expect(await cursor()).toBe(String(T0));
  });

  it("then asks only for what changed: updates refetched, deletes gone, garbage skipped", async () => {
    up.publish(
      "feed/a",
      [
        { version: "1.1.0", bytes: "a110" },
        { version: "1.0.0", bytes: "feed/a" },
      ],
      LM2,
    );
    feed = (since) =>
      since === String(T0)
        ? packagist({
            actions: [
              { type: "update", package: "feed/a", time: 1 },
              { type: "update", package: "feed/a~dev", time: 1 },
              { type: "delete", package: "feed/b", time: 1 },
              { type: "frobnicate", package: "feed/c", time: 1 },
              { type: "update", package: "NOT A NAME", time: 1 },
              { type: "update", package: 42 },
              "garbage",
            ],
            timestamp: T0 + 10_000,
          })
        : packagist({ error: "unexpected since" }, 400);
    const before = up.seen.length;
    const run = await sync();
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect(run.details.upstream).toMatchObject({
      mode: "changes",
      packages: { fetched: 1, unchanged: 1, failed: 0, gone: 1 },
      versions: { new: 1, known: 1 },
      dists: { fetched: 1, unchanged: 1, failed: 0 },
    });
    const asked = askedSince(before);
    expect(asked).toContain(`/metadata/changes.json?since=${T0}`);
    expect(asked).toContain("/p2/feed/a.json");
    expect(asked.filter((path) => path.startsWith("/p2/feed/c"))).toEqual([]);
    expect(asked.filter((path) => path.startsWith("/p2/feed/b"))).toEqual([]);
    expect((await t.request("/p2/feed/b.json", { token: reader.token })).status).toBe(404);
    expect((await t.request("/p2/feed/c.json", { token: reader.token })).status).toBe(200);
    expect(await cursor()).toBe(String(T0 + 10_000));
  });

  it("followChanges refreshes changed documents and mirrors new eager packages", async () => {
    up.publish("feed/new", [{ version: "0.1.0", bytes: "new010" }], LM2);
    up.publish(
      "feed/c",
      [
        { version: "1.2.0", bytes: "c120" },
        { version: "1.0.0", bytes: "feed/c" },
      ],
      LM2,
    );
    feed = (since) =>
      since === String(T0 + 10_000)
        ? packagist({
            actions: [
              { type: "update", package: "feed/c", time: 2 },
              { type: "update", package: "feed/new", time: 2 },
              { type: "update", package: "not/ours", time: 2 },
            ],
            timestamp: T0 + 20_000,
          })
        : packagist({ error: "unexpected since" }, 400);
    const before = up.seen.length;
    const [result] = await follow();
    expect(result).toMatchObject({
      repositoryName: "feed-up",
      error: null,
      counts: { mode: "changes", packages: { fetched: 2, failed: 0 }, dists: { fetched: 2 } },
    });
    expect(askedSince(before).filter((path) => path.includes("not/ours"))).toEqual([]);
    const document = (await (await t.request("/p2/feed/new.json", { token: reader.token })).json()) as {
      packages: Record<string, unknown[]>;
    };
    expect(document.packages["feed/new"]).toHaveLength(1);
    expect(await cursor()).toBe(String(T0 + 20_000));
  });

  it("a feed answering garbage is recorded, the sync falls back to a full one and the cursor stays", async () => {
    feed = () => ({ status: 200, body: "<html>not json</html>" });
    const run = await sync();
    expect(run.status).toBe("succeeded");
    expect(run.details.upstream?.mode).toBe("full");
    expect(run.details.upstream?.feedError).toMatch(/change feed was refused: it is not JSON/);
    expect(await cursor()).toBe(String(T0 + 20_000));
    const [followed] = await follow();
    expect(followed?.error).toMatch(/it is not JSON/);
    expect(await cursor()).toBe(String(T0 + 20_000));
    feed = () => packagist({ timestamp: T0, actions: "nope" });
    expect((await follow())[0]?.error).toMatch(/no "actions" list/);
  });

  it("a cursor too old (resync) makes followChanges ask every held document again", async () => {
    feed = () => packagist({ actions: [{ type: "resync", time: 3, package: "*" }], timestamp: T0 + 30_000 });
    const before = up.seen.length;
    const [result] = await follow();
    expect(result?.counts).toMatchObject({ mode: "full", packages: { failed: 0, gone: 0 } });
    const asked = askedSince(before).filter((path) => path.startsWith("/p2/") && !path.includes("~dev"));
    // feed/b came back with the full sync above: the upstream still serves it.
    expect(asked.sort()).toEqual([
      "/p2/feed/a.json",
      "/p2/feed/b.json",
      "/p2/feed/c.json",
      "/p2/feed/new.json",
    ]);
    expect(await cursor()).toBe(String(T0 + 30_000));
  });
});

describe("following the feed of a lazy upstream", () => {
  let lazy: ComposerUpstreamDouble;
  let lazyFeed: (since: string | null) => DynamicAnswer;

  beforeAll(async () => {
    lazy = new ComposerUpstreamDouble();
    await lazy.start();
    lazy.root = { "metadata-changes-url": `${lazy.url}/changes.json` };
    lazy.dynamic.set("/changes.json", (url) => lazyFeed(url.searchParams.get("since")));
    lazy.publish("lazy/lib", [{ version: "1.0.0", bytes: "lazy100" }], LM1);
    const response = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { type: "composer", url: lazy.url, name: "lazy-feed", packages: ["lazy/*"] },
    });
    expect(response.status).toBe(201);
  });

  afterAll(async () => {
    await lazy.stop();
  });

  it("is remembered when the upstream is added, and followed from its first run", async () => {
    expect((await t.request("/p2/lazy/lib.json", { token: reader.token })).status).toBe(200);
    lazyFeed = (since) =>
      since === null
        ? packagist({ error: "missing since", timestamp: 500 }, 400)
        : packagist({ actions: [], timestamp: 600 });
    feed = () => packagist({ actions: [], timestamp: T0 + 40_000 });
    const first = (await follow()).find((result) => result.repositoryName === "lazy-feed");
    // The first run takes the cursor and asks the held documents again (conditionally).
    expect(first?.counts).toMatchObject({ mode: "full", packages: { unchanged: 1, failed: 0 } });
    lazy.publish(
      "lazy/lib",
      [
        { version: "1.1.0", bytes: "lazy110" },
        { version: "1.0.0", bytes: "lazy100" },
      ],
      LM2,
    );
    lazyFeed = (since) =>
      since === "500"
        ? packagist({ actions: [{ type: "update", package: "lazy/lib", time: 1 }], timestamp: 700 })
        : packagist({ error: "unexpected since" }, 400);
    const second = (await follow()).find((result) => result.repositoryName === "lazy-feed");
    expect(second?.counts).toMatchObject({
      mode: "changes",
      packages: { fetched: 1 },
      dists: { fetched: 0 },
    });
    const document = (await (await t.request("/p2/lazy/lib.json", { token: reader.token })).json()) as {
      packages: Record<string, unknown[]>;
    };
    expect(document.packages["lazy/lib"]).toHaveLength(2);
  });
});
