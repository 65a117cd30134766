import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { ComposerUpstreamDouble } from "../../../test/doubles/composer-upstream-double.ts";

const LM1 = "Wed, 01 Jan 2025 00:00:00 GMT";

let t: TestRuntime;
let admin: TestToken;
let reader: TestToken;
let first: ComposerUpstreamDouble;
let second: ComposerUpstreamDouble;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await TestRuntime.start({ env: { PB_PROXY_METADATA_MAX_AGE_SECONDS: "60" } });
  admin = await t.createToken({ scopes: ["admin"] });
  reader = await t.createToken({ scopes: ["read"] });
  first = new ComposerUpstreamDouble();
  second = new ComposerUpstreamDouble();
  await first.start();
  await second.start();
  first.publish("shared/pkg", [{ version: "1.0.0", bytes: "first" }], LM1);
  second.publish("shared/pkg", [{ version: "9.0.0", bytes: "second" }], LM1);
  second.publish("rev/lib", [{ version: "1.0.0", bytes: "second-rev" }], LM1);
  for (const [name, double, body] of [
    ["first", first, { packages: ["shared/*", "rev/*"] }],
    ["second", second, { eagerPackages: ["shared/pkg", "rev/lib"] }],
  ] as const) {
    const response = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { type: "composer", url: double.url, name, ...body },
    });
    ids[name] = ((await response.json()) as { id: string }).id;
  }
});

afterAll(async () => {
  await first.stop();
  await second.stop();
  await t.cleanup();
});

async function conflictEvents(): Promise<Record<string, unknown>[]> {
  await t.runtime.audit.log.flush();
  const rows = await t.runtime.database.db
    .selectFrom("audit_logs")
    .select(["details", "target"])
    .where("action", "=", "name_conflict")
    .orderBy("seq")
    .execute();
  return rows.map((row) => ({
    ...(JSON.parse(row.details ?? "{}") as Record<string, unknown>),
    target: JSON.parse(row.target ?? "null") as unknown,
  }));
}

async function listed(name: string): Promise<unknown> {
  const response = await t.request(`/api/repositories/${name}/name-conflicts`, { token: admin.token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { conflicts: unknown[] }).conflicts;
}

describe("a name two upstreams both have", () => {
  it("is found by the eager sync of the lower one, recorded once, and listed for both", async () => {
    const sync = () => t.request("/api/repositories/second/sync", { method: "POST", token: admin.token });
    expect((await sync()).status).toBe(200);
    // The first upstream was asked about the names (it had no stored answer): it has shared/pkg only.
    expect(first.paths()).toContain("/p2/shared/pkg.json");
    const expected = {
      package: "shared/pkg",
      servedBy: { id: ids.first, name: "first" },
      shadowed: { id: ids.second, name: "second" },
      firstSeenAt: expect.any(String) as unknown,
    };
    expect(await listed("first")).toEqual([expected]);
    expect(await listed("second")).toEqual([expected]);
    expect(await conflictEvents()).toEqual([
      {
        served_by: { id: ids.first, name: "first" },
        shadowed: { id: ids.second, name: "second" },
        kept: "served_by",
        target: { type: "package", name: "shared/pkg" },
      },
    ]);
    expect((await sync()).status).toBe(200);
    expect(await conflictEvents()).toHaveLength(1);
  });

  it("is served from the first in priority", async () => {
    const document = (await (await t.request("/p2/shared/pkg.json", { token: reader.token })).json()) as {
      packages: Record<string, { version: string }[]>;
    };
    expect(document.packages["shared/pkg"]?.map((v) => v.version)).toEqual(["1.0.0"]);
  });

  it("is found by a background revalidation when the first upstream gains the name later", async () => {
    // rev/lib: the first upstream answered 404 during the sync; the second serves it.
    expect((await t.request("/p2/rev/lib.json", { token: reader.token })).status).toBe(200);
    first.publish("rev/lib", [{ version: "2.0.0", bytes: "first-rev" }], LM1);
    t.clock.advance(61_000);
    // Stale everywhere: answered from the store at once, revalidated in the background.
    expect((await t.request("/p2/rev/lib.json", { token: reader.token })).status).toBe(200);
    await t.runtime.proxy.drain();
    expect((await conflictEvents()).map((event) => event.target)).toEqual([
      { type: "package", name: "shared/pkg" },
      { type: "package", name: "rev/lib" },
    ]);
    const document = (await (await t.request("/p2/rev/lib.json", { token: reader.token })).json()) as {
      packages: Record<string, { version: string }[]>;
    };
    expect(document.packages["rev/lib"]?.map((v) => v.version)).toEqual(["2.0.0"]);
  });

  it("lists nothing for a git repository", async () => {
    const response = await t.request("/api/repositories", {
      method: "POST",
      token: admin.token,
      body: { url: "https://git.example.com/acme/tool.git", name: "git-tool" },
    });
    expect(response.status).toBe(201);
    expect(await listed("git-tool")).toEqual([]);
  });
});
