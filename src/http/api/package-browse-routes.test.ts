import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";

const PROBLEM = "application/problem+json";

interface Summary {
  name: string;
  description: string | null;
  latestVersion: string | null;
  versionCount: number;
  origin: string;
  repositoryId: string | null;
  downloads: number;
  updatedAt: string;
}

interface ListBody {
  packages: Summary[];
  next_cursor: string | null;
}

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

let t: TestRuntime;
let reader: TestToken;
let limited: TestToken;

beforeAll(async () => {
  t = await TestRuntime.start();
  const writer = await t.createToken({ scopes: ["write"] });
  reader = await t.createToken({ scopes: ["read"] });
  limited = await t.createToken({ scopes: ["read"], packages: ["acme/*"] });
  await t.publish("acme/alpha", "1.0.0", writer.token, {
    composer: { description: "The first one", require: { php: ">=8.1" }, license: "MIT" },
  });
  await t.publish("acme/alpha", "1.1.0", writer.token, {
    composer: {
      description: "The first one, better",
      type: "library",
      require: { php: ">=8.2", "acme/beta": "^2.0@beta" },
      "require-dev": { "phpunit/phpunit": "^11" },
      license: ["MIT"],
      keywords: ["alpha"],
    },
  });
  await t.publish("acme/alpha", "dev-main", writer.token);
  await t.publish("acme/beta", "2.0.0-beta1", writer.token);
  await t.publish("other/gamma", "1.0.0", writer.token);
  const notified = await t.request("/downloads", {
    method: "POST",
    token: reader.token,
    body: {
      downloads: [
        { name: "acme/alpha", version: "1.1.0.0" },
        { name: "acme/alpha", version: "1.1.0.0" },
        { name: "acme/alpha", version: "1.0.0.0" },
        { name: "other/gamma", version: "1.0.0.0" },
      ],
    },
  });
  expect(await notified.json()).toMatchObject({ counted: 4 });
});

afterAll(async () => {
  await t.cleanup();
});

const get = (path: string, token: TestToken = reader) => t.request(path, { token: token.token });

async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  const body = (await response.json()) as Problem;
  expect({ status: response.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(response.headers.get("content-type")).toBe(PROBLEM);
  return body;
}

describe("GET /api/packages", () => {
  it("lists the packages by name with their latest stable version, count, origin and downloads", async () => {
    const response = await get("/api/packages");
    expect(response.status).toBe(200);
    const body = (await response.json()) as ListBody;
    expect(body.next_cursor).toBeNull();
    expect(response.headers.get("link")).toBeNull();
    expect(body.packages).toEqual([
      {
        name: "acme/alpha",
        description: "The first one, better",
        latestVersion: "1.1.0",
        versionCount: 3,
        origin: "upload",
        repositoryId: null,
        downloads: 3,
        updatedAt: expect.any(String) as unknown,
      },
      {
        name: "acme/beta",
        description: "The acme/beta package",
        latestVersion: null,
        versionCount: 1,
        origin: "upload",
        repositoryId: null,
        downloads: 0,
        updatedAt: expect.any(String) as unknown,
      },
      {
        name: "other/gamma",
        description: "The other/gamma package",
        latestVersion: "1.0.0",
        versionCount: 1,
        origin: "upload",
        repositoryId: null,
        downloads: 1,
        updatedAt: expect.any(String) as unknown,
      },
    ]);
  });

  it("pages with next_cursor and a Link header, and searches part of the name", async () => {
    const first = await get("/api/packages?limit=2");
    const firstBody = (await first.json()) as ListBody;
    expect(firstBody.packages.map((p) => p.name)).toEqual(["acme/alpha", "acme/beta"]);
    expect(firstBody.next_cursor).toEqual(expect.any(String));
    const link = first.headers.get("link") ?? "";
    expect(link).toMatch(/^<\/api\/packages\?limit=2&cursor=[\w-]+>; rel="next"$/);
    const next = (await (await get(link.slice(1, link.indexOf(">")))).json()) as ListBody;
    expect(next).toMatchObject({ packages: [{ name: "other/gamma" }], next_cursor: null });

    const search = (await (await get("/api/packages?q=BET")).json()) as ListBody;
    expect(search.packages.map((p) => p.name)).toEqual(["acme/beta"]);
    const none = (await (await get("/api/packages?q=%25")).json()) as ListBody;
    expect(none).toEqual({ packages: [], next_cursor: null });
  });

  it("shows and counts only the packages of a limited token", async () => {
    const body = (await (await get("/api/packages", limited)).json()) as ListBody;
    expect(body.packages.map((p) => p.name)).toEqual(["acme/alpha", "acme/beta"]);
    const search = (await (await get("/api/packages?q=gamma", limited)).json()) as ListBody;
    expect(search.packages).toEqual([]);
    const paged = (await (
      await get("/api/packages?limit=1&cursor=" + pageCursor(body), limited)
    ).json()) as ListBody;
    expect(paged).toEqual({ packages: [], next_cursor: null });
  });

  it("ignores unknown query parameters", async () => {
    const response = await get("/api/packages?limit=1&sort=evil&q=alpha&x[y]=1");
    expect(response.status).toBe(200);
    expect(((await response.json()) as ListBody).packages.map((p) => p.name)).toEqual(["acme/alpha"]);
  });

  it.each([
    ["limit=abc", "limit"],
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=10000", "limit"],
    ["limit=-1", "limit"],
    ["limit=1.5", "limit"],
    [`limit=${"9".repeat(400)}`, "limit"],
    [`q=${"a".repeat(10 * 1024)}`, "q"],
  ])("refuses %s with 400 naming the field", async (query, field) => {
    const problem = await expectProblem(await get(`/api/packages?${query}`), 400, "InvalidRequest");
    expect(problem.errors?.map((error) => error.path)).toEqual([field]);
  });

  it.each([
    "garbage",
    "%00",
    "cDE6Li4vLi4vZXRj",
    Buffer.from("p1:Not A Name").toString("base64url"),
    "x".repeat(10_000),
  ])("refuses the cursor %s with 400 InvalidCursor", async (cursor) => {
    const problem = await expectProblem(
      await get(`/api/packages?cursor=${encodeURIComponent(cursor)}`),
      400,
      "InvalidCursor",
    );
    expect(problem).toMatchObject({ parameter: "cursor" });
  });

  it("needs a token", async () => {
    expect((await t.request("/api/packages")).status).toBe(401);
  });
});

describe("GET /api/packages/{vendor}/{project}", () => {
  it("shows a package with its versions newest first and the downloads of each", async () => {
    const response = await get("/api/packages/acme/alpha");
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      name: string;
      latest: Record<string, unknown>;
      versions: {
        version: string;
        downloads: number;
        isDev: boolean;
        stability: string;
        time: string | null;
      }[];
    };
    expect(body).toMatchObject({
      name: "acme/alpha",
      description: "The first one, better",
      latestVersion: "1.1.0",
      versionCount: 3,
      downloads: 3,
      createdAt: "2026-01-01T00:00:00.000Z",
      latest: {
        version: "1.1.0",
        versionNormalized: "1.1.0.0",
        type: "library",
        license: ["MIT"],
        homepage: null,
        keywords: ["alpha"],
        require: { php: ">=8.2", "acme/beta": "^2.0@beta" },
        requireDev: { "phpunit/phpunit": "^11" },
        conflict: {},
        replace: {},
        provide: {},
        suggest: {},
      },
    });
    expect(body.versions.map((v) => [v.version, v.stability, v.isDev, v.downloads])).toEqual([
      ["1.1.0", "stable", false, 2],
      ["1.0.0", "stable", false, 1],
      ["dev-main", "dev", true, 0],
    ]);
    expect(body.versions[0]?.time).toBe("2026-01-01T00:00:00.000Z");
  });

  it("answers a hidden package exactly like a missing one", async () => {
    const hidden = await expectProblem(
      await get("/api/packages/other/gamma", limited),
      404,
      "PackageNotFound",
    );
    const missing = await expectProblem(
      await get("/api/packages/other/nope", limited),
      404,
      "PackageNotFound",
    );
    expect(hidden.detail.replace("gamma", "X")).toBe(missing.detail.replace("nope", "X"));
    expect(Object.keys(hidden).sort()).toEqual(Object.keys(missing).sort());
    expect((await get("/api/packages/other/gamma")).status).toBe(200);
  });

  it.each([
    "/api/packages/a..b/alpha",
    "/api/packages/acme/..",
    "/api/packages/acme/%2E%2E",
    "/api/packages/acme%2Falpha/x",
    "/api/packages/acme/alpha%2F..%2F..%2Fetc",
    "/api/packages/acme/alpha%00",
    "/api/packages/acme/%E2%80%AE",
    "/api/packages/acme/%ZZ",
    `/api/packages/acme/${"x".repeat(10_000)}`,
    "/api/packages/acme%2Falpha",
    "/api/packages/acme/alpha/x/downloads",
  ])("answers %s with 404", async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    const body = (await response.json()) as Problem;
    expect(["PackageNotFound", "RouteNotFound"]).toContain(body.code);
    expect(JSON.stringify(body).length).toBeLessThan(1000);
  });
});

describe("GET /api/packages/{vendor}/{project}/downloads", () => {
  it("gives the total and a per-day series with zeros, for the package or one version", async () => {
    t.clock.set("2026-01-03T12:00:00.000Z");
    try {
      const response = await get("/api/packages/acme/alpha/downloads?days=3");
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        name: "acme/alpha",
        version: null,
        versionNormalized: null,
        total: 3,
        days: 3,
        from: "2026-01-01",
        to: "2026-01-03",
        periodTotal: 3,
        daily: [
          { day: "2026-01-01", count: 3 },
          { day: "2026-01-02", count: 0 },
          { day: "2026-01-03", count: 0 },
        ],
      });
      const byVersion = await (await get("/api/packages/acme/alpha/downloads?version=1.1.0&days=1")).json();
      expect(byVersion).toMatchObject({
        version: "1.1.0",
        versionNormalized: "1.1.0.0",
        total: 2,
        periodTotal: 0,
        daily: [{ day: "2026-01-03", count: 0 }],
      });
      const defaults = (await (await get("/api/packages/acme/alpha/downloads?junk=1")).json()) as {
        daily: unknown[];
      };
      expect(defaults.daily).toHaveLength(30);
    } finally {
      t.clock.set("2026-01-01T00:00:00.000Z");
    }
  });

  it("refuses days out of range with 400, and answers an unknown version with 404", async () => {
    for (const days of ["abc", "0", "367", "-3", ""]) {
      const problem = await expectProblem(
        await get(`/api/packages/acme/alpha/downloads?days=${days}`),
        400,
        "InvalidRequest",
      );
      expect(problem.errors?.map((error) => error.path)).toEqual(["days"]);
    }
    await expectProblem(
      await get("/api/packages/acme/alpha/downloads?version=9.9.9"),
      404,
      "VersionNotFound",
    );
    await expectProblem(
      await get(`/api/packages/acme/alpha/downloads?version=${"1".repeat(300)}`),
      400,
      "InvalidRequest",
    );
  });

  it("never counts for a token that may not see the package", async () => {
    await expectProblem(await get("/api/packages/other/gamma/downloads", limited), 404, "PackageNotFound");
    const own = await get("/api/packages/acme/alpha/downloads", limited);
    expect(((await own.json()) as { total: number }).total).toBe(3);
  });
});

function pageCursor(body: ListBody): string {
  // A cursor after the last package the limited token sees: nothing further for it.
  const last = body.packages.at(-1)?.name ?? "";
  return Buffer.from(`p1:${last}`, "utf8").toString("base64url");
}
