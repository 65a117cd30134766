import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitFixture } from "../../../test/builders/git-fixture.ts";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";

const PROBLEM = "application/problem+json";

let t: TestRuntime;
let admin: TestToken;
let writer: TestToken;
let reader: TestToken;
let fixture: GitFixture;

beforeAll(async () => {
  t = await TestRuntime.start();
  admin = await t.createToken({ scopes: ["admin"] });
  writer = await t.createToken({ scopes: ["write"] });
  reader = await t.createToken({ scopes: ["read"] });
  fixture = new GitFixture(path.join(t.root, "src", "widgets"));
  fixture.commit({ "composer.json": { name: "acme/widgets", description: "Widgets" } });
  fixture.tag("v1.0.0");
  fixture.commit({ "src/Widget.php": "<?php\n" });
  fixture.tag("v1.1.0");
});

afterAll(async () => {
  await t.cleanup();
});

const api = (
  pathAndQuery: string,
  init: { method?: string; body?: unknown; token?: TestToken; headers?: Record<string, string> } = {},
) =>
  t.request(`/api/repositories${pathAndQuery}`, {
    method: init.method ?? "GET",
    token: (init.token ?? admin).token,
    ...(init.headers === undefined ? {} : { headers: init.headers }),
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : (init.body as object) }),
  });

interface Repository {
  id: string;
  name: string;
  url: string;
  hasCredentials: boolean;
  status: string;
}

interface SyncRun {
  id: string;
  repositoryId: string;
  status: string;
  error: string | null;
  details: { added: string[]; removed: string[]; skipped: { ref: string; reason: string }[] };
}

async function add(body: object): Promise<Repository> {
  const response = await api("", { method: "POST", body });
  expect(response.status, await response.clone().text()).toBe(201);
  const repository = (await response.json()) as Repository;
  expect(response.headers.get("location")).toBe(`/api/repositories/${repository.id}`);
  return repository;
}

describe("the repository lifecycle", () => {
  it("adds a local git repository, syncs it, serves its versions, and removes it", async () => {
    const added = await add({ url: fixture.dir });
    expect(added).toMatchObject({ name: "widgets", url: fixture.dir, hasCredentials: false });

    const sync = await api(`/${added.id}/sync`, { method: "POST", token: writer });
    expect(sync.status).toBe(200);
    const run = (await sync.json()) as SyncRun;
    expect(run).toMatchObject({ repositoryId: added.id, status: "succeeded", error: null });
    expect(run.details.added.sort()).toEqual([
      "acme/widgets dev-main",
      "acme/widgets v1.0.0",
      "acme/widgets v1.1.0",
    ]);

    const p2 = await t.request("/p2/acme/widgets.json", { token: reader.token });
    expect(p2.status).toBe(200);
    const doc = (await p2.json()) as { packages: Record<string, { version: string }[]> };
    expect(doc.packages["acme/widgets"]?.map((v) => v.version)).toEqual(["v1.1.0", "v1.0.0"]);

    const syncs = await api(`/${added.id}/syncs`);
    expect(((await syncs.json()) as { syncs: SyncRun[] }).syncs.map((s) => s.id)).toEqual([run.id]);
    const again = (await (
      await api(`/${added.id}/sync`, { method: "POST", token: writer })
    ).json()) as SyncRun;
    const latest = await api(`/${added.id}/syncs?limit=1`);
    expect(await latest.json()).toEqual({ syncs: [{ ...again, progress: null }] });

    const byName = await api("/widgets");
    expect(await byName.json()).toMatchObject({ id: added.id, status: "ok", upstream: null });
    const conflicts = await api(`/${added.id}/integrity-conflicts`);
    expect(await conflicts.json()).toEqual({ conflicts: [] });

    const removed = await api(`/${added.id}`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ removedVersions: 3 });
    expect((await t.request("/p2/acme/widgets.json", { token: reader.token })).status).toBe(404);
    expect((await api(`/${added.id}`)).status).toBe(404);
  });

  it("never shows credentials", async () => {
    const added = await add({
      url: "https://git.example.com/acme/private.git",
      name: "private",
      credentials: { username: "deploy", password: "s3cr3t-passw0rd" },
    });
    expect(added.hasCredentials).toBe(true);
    for (const response of [await api(""), await api(`/${added.id}`)]) {
      const text = await response.text();
      expect(text).not.toContain("s3cr3t-passw0rd");
      expect(text).not.toContain("deploy");
      expect(text).not.toMatch(/"credentials"/);
    }
    const list = (await (await api("")).json()) as { repositories: Repository[] };
    expect(list.repositories.find((r) => r.id === added.id)).toMatchObject({ hasCredentials: true });
    await api(`/${added.id}`, { method: "DELETE" });
  });

  it("answers a failed sync with 502 and the run that says why", async () => {
    const missing = await add({ url: path.join(t.root, "does-not-exist"), name: "missing" });
    const response = await api(`/${missing.id}/sync`, { method: "POST", token: writer });
    expect(response.status).toBe(502);
    const run = (await response.json()) as SyncRun;
    expect(run.status).toBe("failed");
    expect(run.error).toBeTypeOf("string");
    const after = (await (await api(`/${missing.id}`)).json()) as Repository & { lastError: string };
    expect(after.status).toBe("error");
    await api(`/${missing.id}`, { method: "DELETE" });
  });

  it("refuses a second repository with the same name (409)", async () => {
    const first = await add({ url: fixture.dir, name: "dup" });
    const second = await api("", { method: "POST", body: { url: fixture.dir, name: "dup" } });
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ code: "RepositoryNameTaken" });
    await api(`/${first.id}`, { method: "DELETE" });
  });

  it("answers 404 for unknown repositories", async () => {
    for (const [method, suffix] of [
      ["GET", ""],
      ["DELETE", ""],
      ["GET", "/syncs"],
      ["POST", "/sync"],
    ] as const) {
      const response = await api(`/01ARZ3NDEKTSV4RRFFQ69G5FAV${suffix}`, { method });
      expect(response.status, `${method} ${suffix}`).toBe(404);
      expect(response.headers.get("content-type")).toBe(PROBLEM);
    }
  });
});

describe("scopes", () => {
  it("needs admin to manage, write to sync", async () => {
    expect((await api("", { token: writer })).status).toBe(403);
    expect((await api("", { method: "POST", token: writer, body: { url: fixture.dir } })).status).toBe(403);
    expect((await api("/x/sync", { method: "POST", token: reader })).status).toBe(403);
  });
});

describe("invalid input", () => {
  it.each(["0", "101", "-1", "1.5", "abc", "1e2", "9".repeat(12), ""])(
    "refuses a sync history limit of %j with 400 naming the parameter",
    async (limit) => {
      const response = await api(`/01ARZ3NDEKTSV4RRFFQ69G5FAV/syncs?limit=${encodeURIComponent(limit)}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe(PROBLEM);
      expect(JSON.stringify(await response.json())).toContain("limit");
    },
  );

  it.each([
    ["a transport helper", "ext::sh -c touch% /tmp/pwned"],
    ["an option", "-oProxyCommand=touch /tmp/pwned"],
    ["ftp", "ftp://example.com/repo.git"],
    ["a relative path", "relative/path"],
    ["credentials in the URL", "https://user:pass@example.com/repo.git"],
    ["a newline", "https://example.com/repo.git\n--upload-pack=x"],
    ["white space", "https://example.com/re po.git"],
    ["no host", "https:///repo.git"],
    ["a backslash", "https://example.com\\@evil.com/repo.git"],
    ["a file URL with a host", "file://evil.com/repo.git"],
    ["3,000 characters", `https://example.com/${"a".repeat(3000)}.git`],
    ["an empty URL", ""],
  ])("refuses %s with 400 problem+json", async (_label, url) => {
    const response = await api("", { method: "POST", body: { url } });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toMatch(/^(InvalidRepositoryUrl|CredentialsInUrl|InvalidRequest)$/);
    expect(problem.detail).not.toContain("pass@");
  });

  it.each([
    ["no url", {}],
    ["an extra field", { url: "https://example.com/r.git", owner: "me" }],
    ["another type", { type: "svn", url: "https://example.com/r.git" }],
    ["a bad name", { url: "https://example.com/r.git", name: "../etc" }],
    ["half credentials", { url: "https://example.com/r.git", credentials: { username: "x" } }],
    ["an array", []],
  ])("refuses a body with %s with 400 and the fields", async (_label, body) => {
    const response = await api("", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    expect(await response.json()).toMatchObject({
      code: "InvalidRequest",
      errors: expect.any(Array) as unknown,
    });
  });

  it("refuses oversized bodies (413), invalid JSON (400) and other media types (415)", async () => {
    const big = JSON.stringify({ url: `https://example.com/${"a".repeat(2 * 1024 * 1024)}` });
    const headers = { "content-type": "application/json" };
    expect((await api("", { method: "POST", body: big, headers })).status).toBe(413);
    expect((await api("", { method: "POST", body: "{]", headers })).status).toBe(400);
    const text = await api("", { method: "POST", body: "url=x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
  });

  it("refuses private sources unless PB_ALLOW_PRIVATE_SOURCES is set", async () => {
    const strict = await TestRuntime.start({ env: { PB_ALLOW_PRIVATE_SOURCES: "false" } });
    try {
      const token = await strict.createToken({ scopes: ["admin"] });
      for (const url of [
        fixture.dir,
        `file://${fixture.dir}`,
        "http://127.0.0.1/r.git",
        "https://localhost/r.git",
        "https://[::1]/r.git",
        "https://10.1.2.3/r.git",
        "https://2130706433/r.git",
      ]) {
        const response = await strict.request("/api/repositories", {
          method: "POST",
          token: token.token,
          body: { url },
        });
        expect(response.status, url).toBe(400);
        expect(await response.json(), url).toMatchObject({ code: "PrivateSourceRefused" });
      }
    } finally {
      await strict.cleanup();
    }
  });
});
