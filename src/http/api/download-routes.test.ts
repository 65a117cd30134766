import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { createPostgresDatabase, testEngines } from "../../../test/support/test-databases.ts";

const PROBLEM = "application/problem+json";

interface Overview {
  days: number;
  from: string;
  to: string;
  total: number;
  periodTotal: number;
  daily: { day: string; count: number }[];
  top: { name: string; periodTotal: number }[];
}

interface Problem {
  status: number;
  code: string;
  errors?: { path: string; message: string }[];
}

describe.each(testEngines())("GET /api/downloads on %s", (engine) => {
  let t: TestRuntime;
  let writer: TestToken;
  let reader: TestToken;
  let acme: TestToken;

  const get = async (path: string, token: TestToken = reader): Promise<Response> =>
    t.request(path, { token: token.token });

  const overview = async (path: string, token: TestToken = reader): Promise<Overview> => {
    const response = await get(path, token);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Overview;
  };

  /** Reports installs as Composer does after an install (POST /downloads). */
  const install = async (downloads: { name: string; version: string }[]): Promise<void> => {
    const response = await t.request("/downloads", {
      method: "POST",
      token: reader.token,
      body: { downloads },
    });
    expect(await response.json()).toMatchObject({ counted: downloads.length, ignored: 0 });
  };

  async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
    const body = (await response.json()) as Problem;
    expect({ status: response.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    return body;
  }

  beforeAll(async () => {
    t = await TestRuntime.start(
      engine === "postgres" ? { env: { PB_DATABASE_URL: await createPostgresDatabase() } } : {},
    );
    writer = await t.createToken({ scopes: ["write"] });
    reader = await t.createToken({ scopes: ["read"] });
    acme = await t.createToken({ scopes: ["read"], packages: ["acme/*"] });
    await t.publish("acme/alpha", "1.0.0", writer.token);
    await t.publish("acme/alpha", "1.1.0", writer.token);
    await t.publish("acme/beta", "2.0.0", writer.token);
    await t.publish("other/gamma", "1.0.0", writer.token);
    // `_` is a LIKE wildcard: a pattern a_me/* turned into LIKE would match acme/… too.
    await t.publish("a_me/delta", "1.0.0", writer.token);
    await t.publish("old/gone", "1.0.0", writer.token);
    // 2026-01-01: alpha 3 (two versions), gamma 1, a_me 1, old/gone 1.
    await install([
      { name: "acme/alpha", version: "1.1.0.0" },
      { name: "acme/alpha", version: "1.1.0.0" },
      { name: "acme/alpha", version: "1.0.0.0" },
      { name: "other/gamma", version: "1.0.0.0" },
      { name: "a_me/delta", version: "1.0.0.0" },
      { name: "old/gone", version: "1.0.0.0" },
    ]);
    // 2026-01-03: beta 2, gamma 4.
    t.clock.set("2026-01-03T09:00:00.000Z");
    await install([
      { name: "acme/beta", version: "2.0.0.0" },
      { name: "acme/beta", version: "2.0.0.0" },
      ...Array.from({ length: 4 }, () => ({ name: "other/gamma", version: "1.0.0.0" })),
    ]);
    const deleted = await t.request("/api/packages/old/gone/versions/1.0.0", {
      method: "DELETE",
      token: (await t.createToken({ scopes: ["admin"] })).token,
    });
    expect(deleted.status).toBe(200);
    t.clock.set("2026-01-04T23:59:59.000Z");
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it("sums every package and version per day, with zeros for days without installs", async () => {
    expect(await overview("/api/downloads?days=5")).toEqual({
      days: 5,
      from: "2025-12-31",
      to: "2026-01-04",
      total: 12,
      periodTotal: 12,
      daily: [
        { day: "2025-12-31", count: 0 },
        { day: "2026-01-01", count: 6 },
        { day: "2026-01-02", count: 0 },
        { day: "2026-01-03", count: 6 },
        { day: "2026-01-04", count: 0 },
      ],
      // old/gone was deleted: its installs still count, but it is not listed.
      top: [
        { name: "other/gamma", periodTotal: 5 },
        { name: "acme/alpha", periodTotal: 3 },
        { name: "acme/beta", periodTotal: 2 },
        { name: "a_me/delta", periodTotal: 1 },
      ],
    });
  });

  it("counts the period only within the series, and defaults to 30 days", async () => {
    const two = await overview("/api/downloads?days=2");
    expect(two).toMatchObject({
      from: "2026-01-03",
      to: "2026-01-04",
      total: 12,
      periodTotal: 6,
      top: [
        { name: "other/gamma", periodTotal: 4 },
        { name: "acme/beta", periodTotal: 2 },
      ],
    });
    const defaults = await overview("/api/downloads?junk=1");
    expect(defaults.days).toBe(30);
    expect(defaults.daily).toHaveLength(30);
    expect(defaults.daily[0]?.day).toBe("2025-12-06");
    expect(defaults.periodTotal).toBe(12);
    const longest = await overview("/api/downloads?days=366");
    expect(longest.daily).toHaveLength(366);
  });

  it("counts only the packages a limited token may see, in every sum and in top", async () => {
    const own = await overview("/api/downloads?days=5", acme);
    expect(own).toMatchObject({
      total: 5,
      periodTotal: 5,
      daily: [
        { day: "2025-12-31", count: 0 },
        { day: "2026-01-01", count: 3 },
        { day: "2026-01-02", count: 0 },
        { day: "2026-01-03", count: 2 },
        { day: "2026-01-04", count: 0 },
      ],
      top: [
        { name: "acme/alpha", periodTotal: 3 },
        { name: "acme/beta", periodTotal: 2 },
      ],
    });
    const underscore = await t.createToken({ scopes: ["read"], packages: ["a_me/*"] });
    expect(await overview("/api/downloads?days=5", underscore)).toMatchObject({
      total: 1,
      periodTotal: 1,
      top: [{ name: "a_me/delta", periodTotal: 1 }],
    });
    const nothing = await t.createToken({ scopes: ["read"], packages: ["nobody/*"] });
    const none = await overview("/api/downloads?days=5", nothing);
    expect(none).toMatchObject({ total: 0, periodTotal: 0, top: [] });
    expect(none.daily.every((entry) => entry.count === 0)).toBe(true);
  });

  it("never over-matches names or patterns with %, _ or a backslash", async () => {
    // Counts under names no upload could have, written straight into the store: the overview
    // must treat them as text, whatever a LIKE would make of them.
    await t.runtime.installCounts.add(
      [
        { packageName: "acme%/x", versionNormalized: "1.0.0.0" },
        { packageName: "acm_/x", versionNormalized: "1.0.0.0" },
        { packageName: "acme\\/x", versionNormalized: "1.0.0.0" },
        { packageName: "%/%", versionNormalized: "1.0.0.0" },
      ],
      "2026-01-04",
    );
    try {
      expect(await overview("/api/downloads?days=5", acme)).toMatchObject({ total: 5, periodTotal: 5 });
      const underscore = await t.createToken({ scopes: ["read"], packages: ["acm_/*"] });
      expect(await overview("/api/downloads?days=1", underscore)).toMatchObject({
        total: 1,
        periodTotal: 1,
        daily: [{ day: "2026-01-04", count: 1 }],
        top: [],
      });
      const all = await overview("/api/downloads?days=1");
      expect(all).toMatchObject({ total: 16, periodTotal: 4, top: [] });
    } finally {
      await t.runtime.database.db
        .deleteFrom("install_counts")
        .where("package_name", "in", ["acme%/x", "acm_/x", "acme\\/x", "%/%"])
        .execute();
    }
    // Patterns themselves may not hold % or a backslash.
    const admin = await t.createToken({ scopes: ["admin"] });
    for (const pattern of ["acme/%", "acme\\*"]) {
      const response = await t.request("/api/tokens", {
        method: "POST",
        token: admin.token,
        body: { description: "wildcards", scopes: ["read"], packages: [pattern] },
      });
      expect(response.status).toBe(400);
    }
  });

  it("sums a limited token's packages across many names (several queries) correctly", async () => {
    const names = Array.from({ length: 1203 }, (_, index) => `bulk/p${String(index).padStart(4, "0")}`);
    const now = "2026-01-04T00:00:00.000Z";
    const { db } = t.runtime.database;
    for (let start = 0; start < names.length; start += 200) {
      const slice = names.slice(start, start + 200);
      await db
        .insertInto("packages")
        .values(slice.map((name) => ({ name, created_at: now, updated_at: now })))
        .execute();
      await db
        .insertInto("install_counts")
        .values(
          slice.map((name, offset) => ({
            package_name: name,
            version_normalized: "1.0.0.0",
            day: (start + offset) % 2 === 0 ? "2026-01-04" : "2026-01-03",
            count: ((start + offset) * 7919) % 1009,
          })),
        )
        .execute();
    }
    try {
      const counts = names.map((_, index) => (index * 7919) % 1009);
      const bulk = await t.createToken({ scopes: ["read"], packages: ["bulk/*"] });
      const result = await overview("/api/downloads?days=2", bulk);
      const even = counts.filter((_, index) => index % 2 === 0).reduce((a, b) => a + b, 0);
      const odd = counts.filter((_, index) => index % 2 === 1).reduce((a, b) => a + b, 0);
      expect(result.total).toBe(even + odd);
      expect(result.daily).toEqual([
        { day: "2026-01-03", count: odd },
        { day: "2026-01-04", count: even },
      ]);
      const expectedTop = names
        .map((name, index) => ({ name, periodTotal: counts[index] ?? 0 }))
        .sort((a, b) => b.periodTotal - a.periodTotal || (a.name < b.name ? -1 : 1))
        .slice(0, 10);
      expect(result.top).toEqual(expectedTop);
      expect(result.top.every((entry) => entry.name.startsWith("bulk/"))).toBe(true);
      // acme's token sees none of them.
      expect(await overview("/api/downloads?days=5", acme)).toMatchObject({ total: 5, periodTotal: 5 });
    } finally {
      await db.deleteFrom("install_counts").where("package_name", "like", "bulk/%").execute();
      await db.deleteFrom("packages").where("name", "like", "bulk/%").execute();
    }
  });

  it("refuses days out of range with 400, like the per-package series", async () => {
    for (const days of ["abc", "0", "-1", "367", "99999999999", "1.5", ""]) {
      const problem = await expectProblem(await get(`/api/downloads?days=${days}`), 400, "InvalidRequest");
      expect(problem.errors?.map((error) => error.path)).toEqual(["days"]);
      const perPackage = (await (
        await get(`/api/packages/acme/alpha/downloads?days=${days}`)
      ).json()) as Problem;
      expect(perPackage.code).toBe(problem.code);
    }
  });

  it("needs packages:read and authentication", async () => {
    await expectProblem(await t.request("/api/downloads"), 401, "AuthenticationRequired");
    const auditor = await t.signInAs("auditor", `auditor-${engine}@example.org`);
    const owned = await t.runtime.tokens.create({
      description: "auditor's token",
      scopes: ["admin"],
      ownerId: auditor.userId,
    });
    await expectProblem(await t.request("/api/downloads", { token: owned.token }), 403, "InsufficientRole");
    await expectProblem(
      await t.request("/api/downloads", { headers: auditor.headers }),
      403,
      "InsufficientRole",
    );
    const viewer = await t.signInAs("viewer", `viewer-${engine}@example.org`);
    const seen = await t.request("/api/downloads?days=5", { headers: viewer.headers });
    expect(((await seen.json()) as Overview).total).toBe(12);
  });
});
