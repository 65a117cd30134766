import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { createAccessGrant, sessionGrant, type AccessGrant } from "../access/access-grant.ts";
import { ManualClock } from "../clock/clock.ts";
import { normalizeVersion, parseStability } from "../composer/version-parser.ts";
import { newId } from "../ids/new-id.ts";
import { CatalogRecords } from "../storage/database/catalog-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { InstallCountRecords } from "../storage/database/install-count-records.ts";
import { RepositoryRecords } from "../storage/database/repository-records.ts";
import { encodePackageCursor } from "./package-cursor.ts";
import { PackageBrowser } from "./package-browser.ts";
import { domainErrorOf } from "../../test/support/domain-error-of.ts";

const NOW = "2026-03-10T15:00:00.000Z";

function tokenGrant(patterns: readonly string[] = []): AccessGrant {
  return createAccessGrant({
    tokenId: "tok",
    fingerprint: "pb_tok",
    scopes: ["read"],
    packagePatterns: patterns,
  });
}

const everything = tokenGrant();

/** The kind and code of the DomainError the promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<{ kind: string; code: string }> {
  const error = await domainErrorOf(promise);
  return { kind: error.kind, code: error.code };
}

describe.each(testEngines())("PackageBrowser on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  interface World {
    readonly browser: PackageBrowser;
    readonly catalog: CatalogRecords;
    readonly installs: InstallCountRecords;
    readonly clock: ManualClock;
    publish(
      name: string,
      version: string,
      extra?: { metadata?: object; origin?: "git" | "upload"; repositoryId?: string | null },
    ): Promise<void>;
  }

  async function open(): Promise<World> {
    handle = await createTestDatabase(engine);
    const catalog = new CatalogRecords(handle.db);
    const installs = new InstallCountRecords(handle.db);
    const clock = new ManualClock(NOW);
    return {
      browser: new PackageBrowser({ catalog, installs, clock }),
      catalog,
      installs,
      clock,
      publish: async (name, version, extra = {}) => {
        const versionNormalized = normalizeVersion(version);
        await catalog.saveVersion(
          {
            id: newId(),
            packageName: name,
            version,
            versionNormalized,
            isDev: parseStability(versionNormalized) === "dev",
            origin: extra.origin ?? "upload",
            repositoryId: extra.repositoryId ?? null,
            reference: "a".repeat(40),
            metadata: JSON.stringify({
              name,
              description: `${name} at ${version}`,
              version,
              version_normalized: versionNormalized,
              ...extra.metadata,
            }),
            distSha256: "1".repeat(64),
            distSha1: "2".repeat(40),
            distSize: 100,
          },
          clock.now().toISOString(),
        );
      },
    };
  }

  describe("list", () => {
    it("describes each package by its newest stable version, in Composer's ordering", async () => {
      const world = await open();
      await world.publish("acme/widget", "1.9.0");
      await world.publish("acme/widget", "1.10.0");
      await world.publish("acme/widget", "2.0.0-beta1");
      await world.publish("acme/widget", "dev-main");
      await world.publish("acme/preview", "0.1.0-alpha2");
      await world.publish("acme/preview", "0.1.0-beta1");
      await world.publish("acme/preview", "dev-next");
      await world.publish("acme/branchy", "dev-main");
      await world.installs.add(
        [
          { packageName: "acme/widget", versionNormalized: "1.10.0.0" },
          { packageName: "acme/widget", versionNormalized: "1.9.0.0" },
          { packageName: "acme/preview", versionNormalized: "0.1.0.0-beta1" },
        ],
        "2026-03-09",
      );
      const page = await world.browser.list(everything);
      expect(page.nextCursor).toBeNull();
      expect(page.packages).toEqual([
        {
          name: "acme/branchy",
          description: "acme/branchy at dev-main",
          latestVersion: null,
          versionCount: 1,
          origin: "upload",
          repositoryId: null,
          downloads: 0,
          updatedAt: await world.catalog.packageUpdatedAt("acme/branchy"),
        },
        {
          name: "acme/preview",
          description: "acme/preview at 0.1.0-beta1",
          latestVersion: null,
          versionCount: 3,
          origin: "upload",
          repositoryId: null,
          downloads: 1,
          updatedAt: await world.catalog.packageUpdatedAt("acme/preview"),
        },
        {
          name: "acme/widget",
          description: "acme/widget at 1.10.0",
          latestVersion: "1.10.0",
          versionCount: 4,
          origin: "upload",
          repositoryId: null,
          downloads: 2,
          updatedAt: await world.catalog.packageUpdatedAt("acme/widget"),
        },
      ]);
    });

    it("names the origin and repository of the version a package is described by", async () => {
      const world = await open();
      if (handle === undefined) throw new Error("no database");
      await new RepositoryRecords(handle.db).insert({
        id: "R1",
        name: "widgets",
        type: "git",
        url: "https://git.example.com/widgets.git",
        credentials: null,
        createdAt: NOW,
        updatedAt: NOW,
      });
      await world.publish("acme/widget", "1.0.0");
      await world.publish("acme/widget", "2.0.0", { origin: "git", repositoryId: "R1" });
      const [summary] = (await world.browser.list(everything)).packages;
      expect(summary).toMatchObject({ latestVersion: "2.0.0", origin: "git", repositoryId: "R1" });
    });

    it("pages by name with a cursor, and searches part of the name", async () => {
      const world = await open();
      for (const name of ["acme/alpha", "acme/beta", "acme/gamma", "corp/beta", "corp/delta"]) {
        await world.publish(name, "1.0.0");
      }
      const first = await world.browser.list(everything, { limit: 2 });
      expect(first.packages.map((p) => p.name)).toEqual(["acme/alpha", "acme/beta"]);
      expect(first.nextCursor).toBe(encodePackageCursor("acme/beta"));
      const second = await world.browser.list(everything, { limit: 2, cursor: first.nextCursor ?? "" });
      expect(second.packages.map((p) => p.name)).toEqual(["acme/gamma", "corp/beta"]);
      const third = await world.browser.list(everything, { limit: 2, cursor: second.nextCursor ?? "" });
      expect(third.packages.map((p) => p.name)).toEqual(["corp/delta"]);
      expect(third.nextCursor).toBeNull();
      // A page that ends exactly at the last package has no next cursor.
      expect((await world.browser.list(everything, { limit: 5 })).nextCursor).toBeNull();

      const search = await world.browser.list(everything, { search: "  BETA ", limit: 1 });
      expect(search.packages.map((p) => p.name)).toEqual(["acme/beta"]);
      const rest = await world.browser.list(everything, { search: "beta", cursor: search.nextCursor ?? "" });
      expect(rest.packages.map((p) => p.name)).toEqual(["corp/beta"]);
      expect(rest.nextCursor).toBeNull();
      expect((await world.browser.list(everything, { search: "e/b" })).packages.map((p) => p.name)).toEqual([
        "acme/beta",
      ]);
      expect((await world.browser.list(everything, { search: "%" })).packages).toEqual([]);
      expect((await world.browser.list(everything, { search: "x".repeat(10_000) })).packages).toEqual([]);
    });

    it("lists and counts only what a limited grant may see, filling pages across many hidden packages", async () => {
      const world = await open();
      if (handle === undefined) throw new Error("no database");
      // 1200 hidden packages between the visible ones: more than one chunk of names.
      const now = NOW;
      const hidden = Array.from({ length: 1200 }, (_, index) => `hidden/p${String(index).padStart(4, "0")}`);
      for (let start = 0; start < hidden.length; start += 200) {
        const names = hidden.slice(start, start + 200);
        await handle.db
          .insertInto("packages")
          .values(names.map((name) => ({ name, created_at: now, updated_at: now })))
          .execute();
        await handle.db
          .insertInto("package_versions")
          .values(
            names.map((name) => ({
              id: newId(),
              package_name: name,
              version: "1.0.0",
              version_normalized: "1.0.0.0",
              is_dev: 0,
              origin: "upload" as const,
              repository_id: null,
              reference: "a".repeat(40),
              metadata: "{}",
              dist_sha256: "1".repeat(64),
              dist_sha1: "2".repeat(40),
              dist_size: 1,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
      }
      for (const name of ["acme/one", "acme/two", "zeta/one", "zeta/two", "zeta/three"]) {
        await world.publish(name, "1.0.0");
      }
      await world.installs.add([{ packageName: "hidden/p0001", versionNormalized: "1.0.0.0" }], "2026-03-10");
      const limited = tokenGrant(["acme/*", "zeta/*"]);

      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await world.browser.list(limited, {
          limit: 2,
          ...(cursor === undefined ? {} : { cursor }),
        });
        names.push(...page.packages.map((p) => p.name));
        expect(page.packages.length).toBeGreaterThan(0);
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor !== undefined);
      expect(names).toEqual(["acme/one", "acme/two", "zeta/one", "zeta/three", "zeta/two"]);
      expect(pages).toBe(3);
      expect((await world.browser.list(limited, { search: "p0001" })).packages).toEqual([]);
      expect((await world.browser.list(tokenGrant(["nobody/*"]))).packages).toEqual([]);
      expect((await world.browser.list(everything, { search: "p0001" })).packages).toMatchObject([
        { name: "hidden/p0001", downloads: 1, description: null },
      ]);
    });

    it("refuses a cursor it did not make, a limit out of range, and a grant without packages:read", async () => {
      const world = await open();
      for (const cursor of [
        "garbage",
        "",
        "cDE6Li4vLi4",
        encodePackageCursor("Not/Valid"),
        "x".repeat(5000),
      ]) {
        expect(await rejection(world.browser.list(everything, { cursor }))).toEqual({
          kind: "invalid",
          code: "InvalidCursor",
        });
      }
      for (const limit of [0, 201, 1.5, Number.NaN]) {
        expect(await rejection(world.browser.list(everything, { limit }))).toEqual({
          kind: "invalid",
          code: "InvalidLimit",
        });
      }
      expect(await rejection(world.browser.list(sessionGrant({ id: "usr_1", role: "auditor" })))).toEqual({
        kind: "forbidden",
        code: "InsufficientRole",
      });
    });
  });

  describe("get", () => {
    it("shows a package with every version newest first and the downloads of each", async () => {
      const world = await open();
      await world.publish("acme/widget", "1.0.0", {
        metadata: { require: { php: ">=8.1" }, license: ["MIT"], time: "2025-01-01T00:00:00+00:00" },
      });
      world.clock.advance(60_000);
      await world.publish("acme/widget", "1.1.0", {
        metadata: {
          type: "library",
          license: ["MIT", "Apache-2.0"],
          homepage: "https://example.com",
          keywords: ["widgets", 7],
          require: { php: ">=8.2", "acme/base": "^1.0", bogus: 3 },
          "require-dev": { "phpunit/phpunit": "^11" },
          suggest: { "ext-intl": "for locales" },
          replace: { "old/widget": "self.version" },
        },
      });
      await world.publish("acme/widget", "2.0.0-RC1");
      await world.publish("acme/widget", "dev-main");
      await world.installs.add(
        [
          { packageName: "acme/widget", versionNormalized: "1.0.0.0" },
          { packageName: "acme/widget", versionNormalized: "1.0.0.0" },
          { packageName: "acme/widget", versionNormalized: "dev-main" },
          // A version deleted since still counts in the package's total.
          { packageName: "acme/widget", versionNormalized: "0.9.0.0" },
        ],
        "2026-03-01",
      );

      const details = await world.browser.get(everything, "ACME/Widget");
      expect(details).toMatchObject({
        name: "acme/widget",
        description: "acme/widget at 1.1.0",
        latestVersion: "1.1.0",
        versionCount: 4,
        origin: "upload",
        repositoryId: null,
        downloads: 4,
        createdAt: NOW,
        latest: {
          version: "1.1.0",
          versionNormalized: "1.1.0.0",
          type: "library",
          license: ["MIT", "Apache-2.0"],
          homepage: "https://example.com",
          keywords: ["widgets"],
          require: { php: ">=8.2", "acme/base": "^1.0" },
          requireDev: { "phpunit/phpunit": "^11" },
          conflict: {},
          replace: { "old/widget": "self.version" },
          provide: {},
          suggest: { "ext-intl": "for locales" },
        },
      });
      expect(details.versions.map((v) => [v.version, v.stability, v.isDev, v.downloads])).toEqual([
        ["2.0.0-RC1", "RC", false, 0],
        ["1.1.0", "stable", false, 0],
        ["1.0.0", "stable", false, 2],
        ["dev-main", "dev", true, 1],
      ]);
      expect(details.versions[2]).toEqual({
        version: "1.0.0",
        versionNormalized: "1.0.0.0",
        isDev: false,
        stability: "stable",
        reference: "a".repeat(40),
        dist: { sha256: "1".repeat(64), sha1: "2".repeat(40), size: 100 },
        time: "2025-01-01T00:00:00+00:00",
        origin: "upload",
        repositoryId: null,
        downloads: 2,
        createdAt: NOW,
        updatedAt: NOW,
      });
    });

    it("answers PackageNotFound alike for a missing, a hidden and an invalid name", async () => {
      const world = await open();
      await world.publish("corp/secret", "1.0.0");
      const limited = tokenGrant(["acme/*"]);
      for (const [grant, name] of [
        [everything, "acme/absent"],
        [limited, "corp/secret"],
        [everything, "../etc/passwd"],
        [everything, "acme/widget/extra"],
        [everything, ""],
        [everything, `acme/${"x".repeat(10_000)}`],
      ] as const) {
        expect(await rejection(world.browser.get(grant, name)), name).toEqual({
          kind: "not-found",
          code: "PackageNotFound",
        });
        expect(await rejection(world.browser.downloads(grant, name)), name).toEqual({
          kind: "not-found",
          code: "PackageNotFound",
        });
      }
      expect((await world.browser.get(everything, "corp/secret")).name).toBe("corp/secret");
    });
  });

  describe("downloads", () => {
    it("gives the total and a per-day series with zeros, for the package or one version", async () => {
      const world = await open();
      await world.publish("acme/widget", "1.0.0");
      await world.publish("acme/widget", "2.0.0");
      const v1 = { packageName: "acme/widget", versionNormalized: "1.0.0.0" };
      const v2 = { packageName: "acme/widget", versionNormalized: "2.0.0.0" };
      await world.installs.add([v1, v1, v2], "2026-01-15");
      await world.installs.add([v1], "2026-03-08");
      await world.installs.add([v2, v2], "2026-03-10");

      const week = await world.browser.downloads(everything, "acme/widget", { days: 3 });
      expect(week).toEqual({
        name: "acme/widget",
        version: null,
        versionNormalized: null,
        total: 6,
        days: 3,
        from: "2026-03-08",
        to: "2026-03-10",
        periodTotal: 3,
        daily: [
          { day: "2026-03-08", count: 1 },
          { day: "2026-03-09", count: 0 },
          { day: "2026-03-10", count: 2 },
        ],
      });

      const defaults = await world.browser.downloads(everything, "acme/widget");
      expect(defaults.daily).toHaveLength(30);
      expect(defaults).toMatchObject({ days: 30, from: "2026-02-09", to: "2026-03-10", periodTotal: 3 });

      const year = await world.browser.downloads(everything, "acme/widget", { days: 366 });
      expect(year.from).toBe("2025-03-10");
      expect(year.periodTotal).toBe(6);
      expect(year.daily.find((entry) => entry.day === "2026-01-15")).toEqual({ day: "2026-01-15", count: 3 });

      for (const version of ["1.0.0", "1.0.0.0", "v1.0"]) {
        expect(await world.browser.downloads(everything, "acme/widget", { days: 30, version })).toMatchObject(
          {
            version: "1.0.0",
            versionNormalized: "1.0.0.0",
            total: 3,
            periodTotal: 1,
          },
        );
      }
      expect(await rejection(world.browser.downloads(everything, "acme/widget", { version: "9.9" }))).toEqual(
        {
          kind: "not-found",
          code: "VersionNotFound",
        },
      );
      expect(
        await rejection(world.browser.downloads(everything, "acme/widget", { version: "not a version" })),
      ).toEqual({ kind: "not-found", code: "VersionNotFound" });
      for (const days of [0, 367, 2.5]) {
        expect(await rejection(world.browser.downloads(everything, "acme/widget", { days }))).toEqual({
          kind: "invalid",
          code: "InvalidDays",
        });
      }
    });

    it("counts days in UTC, across a month and a year boundary", async () => {
      const world = await open();
      await world.publish("acme/widget", "1.0.0");
      world.clock.set("2026-01-01T00:30:00.000+01:00");
      const downloads = await world.browser.downloads(everything, "acme/widget", { days: 2 });
      expect([downloads.from, downloads.to]).toEqual(["2025-12-30", "2025-12-31"]);
    });
  });
});
