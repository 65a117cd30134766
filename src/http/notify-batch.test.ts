import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../test/builders/test-runtime.ts";

let t: TestRuntime;
let reader: TestToken;
let limited: TestToken;

beforeAll(async () => {
  t = await TestRuntime.start();
  const writer = await t.createToken({ scopes: ["write"] });
  reader = await t.createToken({ scopes: ["read"] });
  limited = await t.createToken({ scopes: ["read"], packages: ["acme/*"] });
  await t.publish("acme/alpha", "v1.1.0", writer.token);
  await t.publish("acme/alpha", "dev-main", writer.token);
  await t.publish("other/gamma", "1.0.0", writer.token);
});

afterAll(async () => {
  await t.cleanup();
});

describe("notify-batch (POST /downloads)", () => {
  const notify = (body: unknown, token: TestToken = reader, headers: Record<string, string> = {}) =>
    t.request("/downloads", {
      method: "POST",
      token: token.token,
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  async function totals(): Promise<Record<string, number>> {
    const rows = await t.runtime.installCounts.totals();
    return Object.fromEntries(rows.map((row) => [`${row.packageName} ${row.versionNormalized}`, row.count]));
  }

  it("counts only existing versions the token may see", async () => {
    const before = await totals();
    // PHP's json_encode escapes slashes.
    const body =
      '{"downloads":[{"name":"acme\\/alpha","version":"1.1.0.0"},{"name":"acme\\/alpha","version":"9.0.0.0"},' +
      '{"name":"acme\\/nope","version":"1.0.0.0"},{"name":"other\\/gamma","version":"1.0.0.0"},' +
      '{"name":"acme\\/alpha","version":"dev-main","type":"extra keys are fine"}]}';
    const response = await notify(body, limited);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "success", counted: 2, ignored: 3 });
    const after = await totals();
    expect((after["acme/alpha 1.1.0.0"] ?? 0) - (before["acme/alpha 1.1.0.0"] ?? 0)).toBe(1);
    expect((after["acme/alpha dev-main"] ?? 0) - (before["acme/alpha dev-main"] ?? 0)).toBe(1);
    expect(after["other/gamma 1.0.0.0"]).toBe(before["other/gamma 1.0.0.0"]);
  });

  it("accepts an empty batch", async () => {
    const response = await notify({ downloads: [] });
    expect(await response.json()).toEqual({ status: "success", counted: 0, ignored: 0 });
  });

  it("refuses invalid JSON with 400 InvalidJson", async () => {
    for (const body of ["{not json", "", '{"downloads":[}', "\u00ff"]) {
      const response = await notify(body);
      expect(response.status, body).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.json()).toMatchObject({
        code: "InvalidJson",
        warning: expect.any(String) as unknown,
      });
    }
    const invalidUtf8 = await t.request("/downloads", {
      method: "POST",
      token: reader.token,
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    });
    expect(await invalidUtf8.json()).toMatchObject({ code: "InvalidJson" });
  });

  it("refuses a wrong shape with 400 and the fields at fault", async () => {
    const cases: [unknown, string][] = [
      [{}, "downloads"],
      [{ downloads: "x" }, "downloads"],
      [{ downloads: [{ name: "" }] }, "downloads.0.name"],
      [{ downloads: [{ name: "a/b", version: 1 }] }, "downloads.0.version"],
      [null, ""],
      [[], ""],
      [{ downloads: Array.from({ length: 5001 }, () => ({ name: "a/b", version: "1" })) }, "downloads"],
    ];
    for (const [body, field] of cases) {
      const response = await notify(body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const problem = (await response.json()) as { code: string; errors: { path: string }[] };
      expect(problem.code).toBe("InvalidRequest");
      expect(problem.errors.map((e) => e.path)).toContain(field);
    }
  });

  it("refuses a 2 MB body with 413, declared or not", async () => {
    const big = JSON.stringify({ downloads: [], padding: "x".repeat(2 * 1024 * 1024) });
    const streamed = await notify(big);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ code: "BodyTooLarge" });
    const declared = await notify(big, reader, { "content-length": String(Buffer.byteLength(big)) });
    expect(declared.status).toBe(413);
  });

  it("refuses another Content-Type with 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
      const response = await notify({ downloads: [] }, reader, { "content-type": type });
      expect(response.status, type).toBe(415);
      expect(await response.json()).toMatchObject({ code: "UnsupportedMediaType" });
    }
    const none = await t.request("/downloads", { method: "POST", token: reader.token, body: "{}" });
    expect([400, 415]).toContain(none.status);
    const charset = await notify({ downloads: [] }, reader, {
      "content-type": "application/json; charset=utf-8",
    });
    expect(charset.status).toBe(200);
  });

  it("needs a token", async () => {
    const response = await t.request("/downloads", { method: "POST", body: { downloads: [] } });
    expect(response.status).toBe(401);
  });
});
