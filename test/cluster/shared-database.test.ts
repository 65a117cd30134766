import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../builders/test-runtime.ts";
import { createPostgresDatabase, testEngines } from "../support/test-databases.ts";

/**
 * The workers of `serve` (PB_WORKERS > 1) are processes with their own in-memory state over one
 * database: rendered metadata, package-name lists, compiled package patterns. None of it may
 * outlive a change made through another process. Two runtimes on the same database stand for two
 * workers here; each warms its caches first, then the other changes the data, and the very next
 * request must see the change. (test/e2e/serve-workers.test.ts does it with real processes.)
 */
describe.each(testEngines())("two processes on one %s database", (engine) => {
  let shared: string;
  let first: TestRuntime;
  let second: TestRuntime;
  let admin: TestToken;
  let reader: TestToken;

  beforeEach(async () => {
    shared = fs.mkdtempSync(path.join(os.tmpdir(), "pb-shared-"));
    const env = {
      PB_DATA_DIR: path.join(shared, "data"),
      PB_DATABASE_URL:
        engine === "postgres" ? await createPostgresDatabase() : path.join(shared, "data", "broker.sqlite"),
    };
    first = await TestRuntime.start({ env });
    second = await TestRuntime.start({ env });
    admin = await first.createToken({ scopes: ["admin", "write", "read"] });
    reader = await first.createToken({ scopes: ["read"] });
    await first.publish("acme/red", "1.0.0", admin.token);
  });

  afterEach(async () => {
    await second.cleanup();
    await first.cleanup();
    fs.rmSync(shared, { recursive: true, force: true });
  });

  it("refuses a token on the next request after another process revoked it", async () => {
    expect((await second.request("/p2/acme/red.json", { token: reader.token })).status).toBe(200);
    const revoked = await first.request(`/api/tokens/${reader.id}`, { method: "DELETE", token: admin.token });
    expect(revoked.status).toBe(200);
    const refused = await second.request("/p2/acme/red.json", { token: reader.token });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "TokenRevoked" });
  });

  it("serves the new metadata on the next request after another process published a version", async () => {
    const before = await second.request("/p2/acme/red.json", { token: reader.token });
    expect(Object.keys(await packageVersions(before, "acme/red"))).toEqual(["1.0.0"]);
    const listed = await second.request("/packages.json", { token: reader.token });
    expect(listed.status).toBe(200);

    await first.publish("acme/red", "1.1.0", admin.token);
    await first.publish("acme/blue", "2.0.0", admin.token);

    const after = await second.request("/p2/acme/red.json", { token: reader.token });
    expect(Object.keys(await packageVersions(after, "acme/red")).sort()).toEqual(["1.0.0", "1.1.0"]);
    const blue = await second.request("/p2/acme/blue.json", { token: reader.token });
    expect(blue.status).toBe(200);
    // packages.json answers 304 only if it did not change since the client's copy.
    const revalidated = await second.request("/packages.json", {
      token: reader.token,
      headers: { "if-modified-since": listed.headers.get("last-modified") ?? "" },
    });
    expect(revalidated.status).toBe(200);
  });

  it("applies a token's narrowed package patterns on the next request after another process changed them", async () => {
    expect((await second.request("/p2/acme/red.json", { token: reader.token })).status).toBe(200);
    const patched = await first.request(`/api/tokens/${reader.id}`, {
      method: "PATCH",
      token: admin.token,
      body: { packages: ["other/*"] },
    });
    expect(patched.status).toBe(200);
    expect((await second.request("/p2/acme/red.json", { token: reader.token })).status).toBe(403);
  });
});

async function packageVersions(response: Response, name: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { packages: Record<string, { version: string }[]> };
  return Object.fromEntries((body.packages[name] ?? []).map((entry) => [entry.version, entry]));
}
