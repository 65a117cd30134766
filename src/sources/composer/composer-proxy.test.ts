import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { ComposerUpstreamDouble } from "../../../test/doubles/composer-upstream-double.ts";
import type { VersionEntry } from "../../composer/json-value.ts";

let t: TestRuntime;
let admin: TestToken;
let reader: TestToken;
let upstream: ComposerUpstreamDouble;

beforeAll(async () => {
  t = await TestRuntime.start({ env: { PB_PROXY_METADATA_MAX_AGE_SECONDS: "60" } });
  admin = await t.createToken({ scopes: ["admin"] });
  reader = await t.createToken({ scopes: ["read"] });
  upstream = new ComposerUpstreamDouble();
  await upstream.start();
});

afterAll(async () => {
  await upstream.stop();
  await t.cleanup();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  t.request(path, { token: reader.token, headers });

async function repositoryEvents(
  action: string,
): Promise<{ details: Record<string, unknown>; target: unknown }[]> {
  await t.runtime.audit.log.flush();
  const rows = await t.runtime.database.db
    .selectFrom("audit_logs")
    .select(["details", "target"])
    .where("event", "=", "repository")
    .where("action", "=", action)
    .orderBy("seq")
    .execute();
  return rows.map((row) => ({
    details: JSON.parse(row.details ?? "{}") as Record<string, unknown>,
    target: JSON.parse(row.target ?? "null") as unknown,
  }));
}

describe("composer upstreams", () => {
  it("adds an upstream through the API, with credentials sealed and patterns", async () => {
    const response = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: {
        type: "composer",
        url: `${upstream.url}/`,
        name: "upstream",
        credentials: { token: "upstream-s3cret" },
        packages: ["up/*", "shared/*"],
      },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: "composer",
      url: upstream.url,
      hasCredentials: true,
      packagePatterns: ["up/*", "shared/*"],
    });
    expect(JSON.stringify(body)).not.toContain("upstream-s3cret");
    expect(upstream.seen.at(-1)?.headers.authorization).toBe("Bearer upstream-s3cret");
    const added = await repositoryEvents("added");
    expect(added.at(-1)?.details).toMatchObject({ type: "composer", has_credentials: true });
  });

  it("refuses wrong credential forms and packages on a git repository", async () => {
    const wrong = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { type: "composer", url: upstream.url, credentials: { sshKey: "x" } },
    });
    expect(wrong.status).toBe(400);
    const git = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { type: "git", url: "https://git.example.com/a.git", packages: ["a/*"] },
    });
    expect(git.status).toBe(400);
  });

  it("serves proxied metadata from the store, revalidating after the max age", async () => {
    upstream.publish(
      "up/lib",
      [
        { version: "1.1.0", bytes: "v110" },
        { version: "1.0.0", bytes: "v100" },
      ],
      "Tue, 01 Sep 2026 10:00:00 GMT",
    );
    const first = await get("/p2/up/lib.json");
    expect(first.status).toBe(200);
    const document = (await first.json()) as { packages: Record<string, VersionEntry[]> };
    const versions = document.packages["up/lib"] ?? [];
    expect(versions).toHaveLength(2);
    expect(versions[0]?.dist).toMatchObject({
      url: expect.stringMatching(
        /^http:\/\/broker\.test\/dists\/up\/lib\/1\.1\.0\.0\/[0-9a-f]{40}\.zip$/,
      ) as unknown,
    });
    const asked = () => upstream.seen.filter((s) => s.url === "/p2/up/lib.json").length;
    expect(asked()).toBe(1);

    expect((await get("/p2/up/lib.json")).status).toBe(200);
    expect(asked()).toBe(1);

    t.clock.advance(61_000);
    const lastModified = first.headers.get("last-modified") ?? "";
    const again = await get("/p2/up/lib.json", { "if-modified-since": lastModified });
    expect(again.status).toBe(304);
    await t.runtime.proxy.drain();
    expect(asked()).toBe(2);
    expect(upstream.seen.at(-1)?.headers["if-modified-since"]).toBe("Tue, 01 Sep 2026 10:00:00 GMT");
  });

  it("downloads a dist once, verifies it and serves it from the blob store", async () => {
    const document = (await (await get("/p2/up/lib.json")).json()) as {
      packages: Record<string, VersionEntry[]>;
    };
    const url = (document.packages["up/lib"]?.[1]?.dist as { url: string }).url.slice(
      "http://broker.test".length,
    );
    const first = await get(url);
    expect(first.status).toBe(200);
    expect(Buffer.from(await first.arrayBuffer()).toString()).toBe("v100");
    const second = await get(url);
    expect(Buffer.from(await second.arrayBuffer()).toString()).toBe("v100");
    expect(upstream.seen.filter((s) => s.url === "/dists/up/lib/1.0.0.zip")).toHaveLength(1);
    const mirrored = await repositoryEvents("dist_mirrored");
    expect(mirrored).toHaveLength(1);
    expect(mirrored[0]?.target).toMatchObject({ name: "up/lib", version: "1.0.0.0" });
  });

  it("keeps serving the first-seen version when the upstream changes it, and records the conflict", async () => {
    upstream.publish(
      "up/lib",
      [
        { version: "1.1.0", bytes: "v110" },
        { version: "1.0.0", bytes: "tampered", reference: "t".repeat(40) },
      ],
      "Wed, 02 Sep 2026 10:00:00 GMT",
    );
    t.clock.advance(61_000);
    await get("/p2/up/lib.json");
    await t.runtime.proxy.drain();
    const document = (await (await get("/p2/up/lib.json")).json()) as {
      packages: Record<string, VersionEntry[]>;
    };
    expect((document.packages["up/lib"]?.[1]?.dist as { reference: string }).reference).toBe("r".repeat(40));
    const conflicts = await repositoryEvents("integrity_conflict");
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.details).toMatchObject({
      repository: "upstream",
      first_seen: { reference: "r".repeat(40) },
      now_served: { reference: "t".repeat(40) },
      kept: "first_seen",
    });
    // The same change seen again is not recorded twice.
    t.clock.advance(61_000);
    upstream.files.get("/p2/up/lib.json")!.lastModified = "Thu, 03 Sep 2026 10:00:00 GMT";
    await get("/p2/up/lib.json");
    await t.runtime.proxy.drain();
    expect(await repositoryEvents("integrity_conflict")).toHaveLength(1);
  });

  it("never asks upstreams about a private package's name", async () => {
    upstream.publish("shared/widget", [{ version: "9.9.9", bytes: "evil" }], "Tue, 01 Sep 2026 10:00:00 GMT");
    const zip = await import("../../../test/builders/zip-builder.ts");
    const uploaded = await t.upload(
      zip.buildZip([
        { name: "composer.json", data: JSON.stringify({ name: "shared/widget", version: "1.0.0" }) },
      ]),
      admin.token,
    );
    expect(uploaded.status).toBeLessThan(300);
    const document = (await (await get("/p2/shared/widget.json")).json()) as {
      packages: Record<string, VersionEntry[]>;
    };
    expect(document.packages["shared/widget"]?.map((v) => v.version)).toEqual(["1.0.0"]);
    expect(upstream.seen.filter((s) => s.url.includes("shared/widget"))).toEqual([]);
  });

  it("answers 404 for names outside the patterns and for packages no upstream has", async () => {
    expect((await get("/p2/other/thing.json")).status).toBe(404);
    expect(upstream.seen.filter((s) => s.url.includes("other/thing"))).toEqual([]);
    expect((await get("/p2/up/absent.json")).status).toBe(404);
  });

  it("refuses a request that already passed through this server (proxy loop)", async () => {
    const response = await get("/p2/up/new.json", {
      via: "1.1 other.example, 1.1 broker.test (PACKAGE.broker)",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe("ProxyLoop");
    expect(upstream.seen.filter((s) => s.url.includes("up/new"))).toEqual([]);
  });

  it("lists the upstream patterns in packages.json", async () => {
    const root = (await (await get("/packages.json")).json()) as Record<string, unknown>;
    expect(root["available-package-patterns"]).toEqual(["shared/*", "up/*"]);
    const limited = await t.createToken({ scopes: ["read"], packages: ["up/lib"] });
    const own = (await (await t.request("/packages.json", { token: limited.token })).json()) as Record<
      string,
      unknown
    >;
    expect(own["available-package-patterns"]).toEqual(["up/lib"]);
  });

  it("serves stored metadata when the upstream is down, and records the failure", async () => {
    await upstream.stop();
    t.clock.advance(61_000);
    const response = await get("/p2/up/lib.json");
    expect(response.status).toBe(200);
    await t.runtime.proxy.drain();
    const failures = await repositoryEvents("proxy_fetch_failed");
    expect(failures.at(-1)?.details).toMatchObject({
      package: "up/lib",
      served_stale: true,
      code: "UpstreamUnavailable",
    });
  });

  it("changes an upstream's patterns (no upstream request needed), and packages.json follows", async () => {
    const response = await t.request("/api/repositories/upstream", {
      method: "PATCH",
      token: admin.token,
      body: { packages: ["up/*"] },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { packagePatterns: string[] }).packagePatterns).toEqual(["up/*"]);
    const changed = await repositoryEvents("changed");
    expect(changed.at(-1)?.details).toMatchObject({
      package_patterns: { before: ["up/*", "shared/*"], after: ["up/*"] },
      credentials_changed: false,
    });
    const root = (await (await get("/packages.json")).json()) as Record<string, unknown>;
    expect(root["available-package-patterns"]).toEqual(["up/*"]);
    const refused = await t.request("/api/repositories/upstream", {
      method: "PATCH",
      token: admin.token,
      body: { credentials: { sshKey: "x" } },
    });
    expect(refused.status).toBe(400);
  });

  it("does not sync a composer upstream", async () => {
    const response = await t.request("/api/repositories/upstream/sync", {
      method: "POST",
      token: admin.token,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe("NothingToSync");
  });

  it("shows an upstream's health and store, and lists its integrity conflicts", async () => {
    const response = await t.request("/api/repositories/upstream", { token: admin.token });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { upstream: Record<string, unknown> };
    expect(body.upstream).toMatchObject({
      lastSuccessAt: expect.any(String) as unknown,
      lastFailureAt: expect.any(String) as unknown,
      lastError: expect.stringContaining("could not be reached") as unknown,
      consecutiveFailures: 1,
      coolingDownUntil: null,
      cachedPackages: 1,
      cachedDists: 1,
      integrityConflicts: 1,
    });
    const list = await t.request("/api/repositories/upstream/integrity-conflicts", { token: admin.token });
    expect(list.status).toBe(200);
    const { conflicts } = (await list.json()) as { conflicts: Record<string, unknown>[] };
    expect(conflicts).toEqual([
      {
        package: "up/lib",
        version: "1.0.0.0",
        firstSeenAt: expect.any(String) as unknown,
        firstSeen: {
          reference: "r".repeat(40),
          shasum: createHash("sha1").update("v100").digest("hex"),
          sourceReference: null,
          distSha256: createHash("sha256").update("v100").digest("hex"),
          distSha1: createHash("sha1").update("v100").digest("hex"),
        },
        conflicting: {
          reference: "t".repeat(40),
          shasum: createHash("sha1").update("tampered").digest("hex"),
          sourceReference: null,
        },
        seenAt: expect.any(String) as unknown,
      },
    ]);
    expect(
      (await t.request("/api/repositories/upstream/integrity-conflicts", { token: reader.token })).status,
    ).toBe(403);
  });

  describe("with a slow or failing upstream", () => {
    let slow: ComposerUpstreamDouble;
    const asked = (file: string) => slow.seen.filter((s) => s.url === file).length;
    const health = async () =>
      (
        (await (await t.request("/api/repositories/slow", { token: admin.token })).json()) as {
          upstream: {
            consecutiveFailures: number;
            coolingDownUntil: string | null;
            lastSuccessAt: string | null;
          };
        }
      ).upstream;

    beforeAll(async () => {
      slow = new ComposerUpstreamDouble();
      await slow.start();
      const added = await t.request("/api/repositories", {
        method: "POST",
        token: admin.token,
        body: { type: "composer", url: slow.url, name: "slow", packages: ["slow/*"] },
      });
      expect(added.status).toBe(201);
    });

    afterAll(async () => {
      await slow.stop();
    });

    it("answers a stale document from the store at once and revalidates it once in the background", async () => {
      slow.publish("slow/lib", [{ version: "1.0.0", bytes: "s100" }], "Tue, 01 Sep 2026 10:00:00 GMT");
      expect((await get("/p2/slow/lib.json")).status).toBe(200);
      slow.publish(
        "slow/lib",
        [
          { version: "1.1.0", bytes: "s110" },
          { version: "1.0.0", bytes: "s100" },
        ],
        "Wed, 02 Sep 2026 10:00:00 GMT",
      );
      slow.delayMs = 1_500;
      t.clock.advance(61_000);
      const started = performance.now();
      const [first, second] = await Promise.all([get("/p2/slow/lib.json"), get("/p2/slow/lib.json")]);
      expect(performance.now() - started).toBeLessThan(1_000);
      for (const response of [first, second]) {
        const document = (await response.json()) as { packages: Record<string, VersionEntry[]> };
        expect(document.packages["slow/lib"]?.map((v) => v.version)).toEqual(["1.0.0"]);
      }
      await t.runtime.proxy.drain();
      expect(asked("/p2/slow/lib.json")).toBe(2);
      slow.delayMs = 0;
      const after = (await (await get("/p2/slow/lib.json")).json()) as {
        packages: Record<string, VersionEntry[]>;
      };
      expect(after.packages["slow/lib"]?.map((v) => v.version)).toEqual(["1.1.0", "1.0.0"]);
      expect(asked("/p2/slow/lib.json")).toBe(2);
    });

    it("stops asking an upstream after five failures in a row, serves what is stored, and resets on success", async () => {
      slow.failStatus = 500;
      for (let i = 1; i <= 5; i++) expect((await get(`/p2/slow/gone-${i}.json`)).status).toBe(404);
      expect(await health()).toMatchObject({
        consecutiveFailures: 5,
        coolingDownUntil: new Date(t.clock.now().getTime() + 60_000).toISOString(),
      });
      expect((await get("/p2/slow/gone-6.json")).status).toBe(404);
      expect(asked("/p2/slow/gone-6.json")).toBe(0);

      // The cool-down is over: one probe, which fails and doubles it.
      t.clock.advance(61_000);
      expect((await get("/p2/slow/gone-6.json")).status).toBe(404);
      expect(asked("/p2/slow/gone-6.json")).toBe(1);
      expect(await health()).toMatchObject({
        consecutiveFailures: 6,
        coolingDownUntil: new Date(t.clock.now().getTime() + 120_000).toISOString(),
      });

      // The stored document is stale, and still served without asking the upstream.
      const before = asked("/p2/slow/lib.json");
      const stale = await get("/p2/slow/lib.json");
      expect(stale.status).toBe(200);
      await t.runtime.proxy.drain();
      expect(asked("/p2/slow/lib.json")).toBe(before);

      // A dist never downloaded is not fetched either.
      const document = (await stale.json()) as { packages: Record<string, VersionEntry[]> };
      const distPath = (document.packages["slow/lib"]?.[0]?.dist as { url: string }).url.slice(
        "http://broker.test".length,
      );
      const cooling = await get(distPath);
      expect(cooling.status).toBe(503);
      expect(((await cooling.json()) as { code: string }).code).toBe("UpstreamCoolingDown");
      expect(asked("/dists/slow/lib/1.1.0.zip")).toBe(0);

      t.clock.advance(121_000);
      slow.failStatus = null;
      expect((await get("/p2/slow/lib.json")).status).toBe(200);
      await t.runtime.proxy.drain();
      expect(asked("/p2/slow/lib.json")).toBe(before + 1);
      expect(await health()).toMatchObject({
        consecutiveFailures: 0,
        coolingDownUntil: null,
        lastSuccessAt: t.clock.now().toISOString(),
      });
      expect(Buffer.from(await (await get(distPath)).arrayBuffer()).toString()).toBe("s110");
    });
  });
});
