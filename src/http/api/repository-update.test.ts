import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitFixture } from "../../../test/builders/git-fixture.ts";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";

let t: TestRuntime;
let admin: TestToken;

beforeAll(async () => {
  t = await TestRuntime.start();
  admin = await t.createToken({ scopes: ["admin"] });
  for (const name of ["one", "two"]) {
    const fixture = new GitFixture(path.join(t.root, "src", name));
    fixture.commit({ "composer.json": { name: `acme/${name}` } });
    fixture.tag("v1.0.0");
  }
});

afterAll(async () => {
  await t.cleanup();
});

const patch = (id: string, body: unknown, token: TestToken = admin) =>
  t.request(`/api/repositories/${id}`, { method: "PATCH", token: token.token, body: body as object });

describe("PATCH /api/repositories/{id}", () => {
  it("changes the URL, the name and the credentials, and records the change", async () => {
    const created = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { url: path.join(t.root, "src", "one"), name: "first" },
    });
    const { id } = (await created.json()) as { id: string };

    const renamed = await patch(id, { name: "second", url: path.join(t.root, "src", "two") });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ id, name: "second", hasCredentials: false });

    const sync = await t.request(`/api/repositories/${id}/sync`, { method: "POST", token: admin.token });
    expect(((await sync.json()) as { details: { added: string[] } }).details.added).toEqual([
      "acme/two dev-main",
      "acme/two v1.0.0",
    ]);

    const withCredentials = await patch(id, { credentials: { username: "ci", password: "s3cret-value" } });
    const body = (await withCredentials.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ hasCredentials: true });
    expect(JSON.stringify(body)).not.toContain("s3cret-value");

    const cleared = await patch(id, { credentials: null });
    expect(((await cleared.json()) as { hasCredentials: boolean }).hasCredentials).toBe(false);

    const changed = await t.runtime.audit.records.latestEvent("repository", "changed");
    expect(changed).not.toBeNull();
    expect(JSON.parse(changed?.details ?? "{}")).toMatchObject({
      before: { name: "second", has_credentials: true },
      after: { name: "second", has_credentials: false },
      credentials_changed: true,
    });
    const rows = await t.runtime.audit.records.range(1, 10_000);
    expect(JSON.stringify(rows)).not.toContain("s3cret-value");
  });

  it("refuses bad input with 4xx problems", async () => {
    const created = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { url: path.join(t.root, "src", "one"), name: "third" },
    });
    const { id } = (await created.json()) as { id: string };
    expect((await patch(id, { url: "ext::sh -c id" })).status).toBe(400);
    expect((await patch(id, { url: "https://user:pw@example.com/x.git" })).status).toBe(400);
    expect((await patch(id, { name: "second" })).status).toBe(409);
    expect((await patch(id, { name: "bad name" })).status).toBe(400);
    expect((await patch(id, { unknown: 1 })).status).toBe(400);
    expect((await patch("01NOSUCHREPOSITORY0000000", { name: "x" })).status).toBe(404);
    const reader = await t.createToken({ scopes: ["write"] });
    expect((await patch(id, { name: "y" }, reader)).status).toBe(403);
  });
});
