import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authorization, TestRuntime, type TestToken } from "../../test/builders/test-runtime.ts";

const PROBLEM = "application/problem+json";

let t: TestRuntime;
let reader: TestToken;

beforeEach(async () => {
  t = await TestRuntime.start();
  reader = await t.createToken({ scopes: ["read"] });
});

afterEach(async () => {
  await t.cleanup();
});

describe("health checks", () => {
  it("/health answers 200 without a token", async () => {
    const response = await t.request("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("/ready answers 200 while the database answers, 503 problem+json once it is closed", async () => {
    const ready = await t.request("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });

    await t.runtime.close();
    const down = await t.request("/ready");
    expect(down.status).toBe(503);
    expect(down.headers.get("content-type")).toBe(PROBLEM);
    expect(await down.json()).toMatchObject({ status: 503, code: "NotReady", title: "Service Unavailable" });
  });
});

describe("request ids and the request log", () => {
  it("echoes a sane incoming X-Request-Id", async () => {
    const id = "abc-123_DEF.456:789";
    const response = await t.request("/health", { headers: { "x-request-id": id } });
    expect(response.headers.get("x-request-id")).toBe(id);
    expect(t.requestLines().at(-1)?.requestId).toBe(id);
  });

  it.each([
    ["spaces", "has spaces in it"],
    ["500 characters", "a".repeat(500)],
    ["markup", "<script>alert(1)</script>"],
    ["quotes", '"; drop table tokens; --'],
    ["an empty value", ""],
  ])("replaces an insane X-Request-Id (%s) by req_<ULID>", async (_label, id) => {
    const response = await t.request("/health", { headers: { "x-request-id": id } });
    const echoed = response.headers.get("x-request-id");
    expect(echoed).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(t.requestLines().at(-1)?.requestId).toBe(echoed);
  });

  it("gives every request its own id", async () => {
    const first = await t.request("/health");
    const second = await t.request("/health");
    expect(first.headers.get("x-request-id")).not.toBe(second.headers.get("x-request-id"));
  });

  it("logs one line per request in the documented shape", async () => {
    const before = t.logLines.length;
    const response = await t.request("/packages.json", { token: reader.token });
    expect(response.status).toBe(200);
    const lines = t.logLines.slice(before);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(Object.keys(line ?? {}).sort()).toEqual(["context", "level", "message", "requestId", "timestamp"]);
    expect(line).toMatchObject({
      level: "info",
      message: "Request completed",
      requestId: response.headers.get("x-request-id"),
      context: { method: "GET", path: "/packages.json", status: 200 },
    });
    expect(new Date(String(line?.timestamp)).toISOString()).toBe(line?.timestamp);
    const context = line?.context as Record<string, unknown>;
    expect(Object.keys(context).sort()).toEqual(["duration", "method", "path", "status"]);
    expect(typeof context.duration).toBe("number");
    expect(context.duration).toBeGreaterThanOrEqual(0);
  });

  it("logs refused requests with their status, and never the token", async () => {
    const before = t.logLines.length;
    await t.request("/packages.json", { token: "pb_not_a_real_token" });
    await t.request("/packages.json", { token: reader.token, scheme: "bearer" });
    const lines = t.logLines.slice(before);
    expect(lines.map((line) => (line.context as { status: number }).status)).toEqual([401, 200]);
    expect(JSON.stringify(t.logLines)).not.toContain(reader.token);
  });

  it("gives an unknown route an id and a log line too", async () => {
    const before = t.logLines.length;
    const response = await t.request("/no/such/route");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    expect(await response.json()).toMatchObject({ code: "RouteNotFound", status: 404 });
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const lines = t.logLines.slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ context: { method: "GET", path: "/no/such/route", status: 404 } });
  });
});

describe("authentication", () => {
  it("asks for credentials (401, WWW-Authenticate, a JSON warning) when none are sent", async () => {
    const response = await t.request("/packages.json");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm="PACKAGE.broker"/);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 401, code: "AuthenticationRequired" });
    expect(body.warning).toMatch(/authentication required/);
    expect(body.warning).toBe(body.detail);
  });

  it("accepts Basic with any username", async () => {
    for (const user of ["token", "alice", "", "x@y"]) {
      const header = `Basic ${Buffer.from(`${user}:${reader.token}`).toString("base64")}`;
      const response = await t.request("/packages.json", { headers: { authorization: header } });
      expect(response.status, user).toBe(200);
    }
  });

  it("accepts Bearer", async () => {
    const response = await t.request("/packages.json", { token: reader.token, scheme: "bearer" });
    expect(response.status).toBe(200);
  });

  it.each([
    ["bad base64", "Basic !!!notbase64!!!"],
    ["Basic alone", "Basic"],
    ["Bearer alone", "Bearer"],
    ["Bearer and spaces", "Bearer    "],
    ["another scheme", "Digest username=x"],
    ["Basic without a colon", `Basic ${Buffer.from("justtoken").toString("base64")}`],
    ["Basic with an empty password", `Basic ${Buffer.from("token:").toString("base64")}`],
    ["three parts", "Bearer a b"],
    ["a 10 KB header", `Bearer ${"a".repeat(10 * 1024)}`],
    ["a control character", "Bearer pb_abc\u0001def"],
    ["DEL", "Bearer pb_abc\u007fdef"],
    ["non-ASCII", "Bearer pb_äöü"],
    ["control characters in the Basic password", `Basic ${Buffer.from("token:a\u0000b").toString("base64")}`],
    ["invalid UTF-8 in Basic", `Basic ${Buffer.from([0x74, 0x3a, 0xff, 0xfe]).toString("base64")}`],
  ])("refuses a malformed Authorization header (%s) with 401 and a clear warning", async (_label, header) => {
    const response = await t.request("/packages.json", { headers: { authorization: header } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).not.toBeNull();
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.code).toBe("MalformedAuthorization");
    expect(body.warning).toMatch(/Authorization header is malformed/);
  });

  it("refuses an unknown token with 401 InvalidToken", async () => {
    const other = await t.createToken();
    await t.runtime.database.db.deleteFrom("tokens").where("id", "=", other.id).execute();
    for (const token of [other.token, "pb_garbage", "x".repeat(200)]) {
      const response = await t.request("/packages.json", { token });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        code: "InvalidToken",
        warning: "The token is not valid",
      });
    }
  });

  it("refuses an expired token with 403 and the expiry date", async () => {
    const expiring = await t.createToken({ expiresAt: new Date("2026-01-15T12:00:00Z") });
    expect((await t.request("/packages.json", { token: expiring.token })).status).toBe(200);
    t.clock.set("2026-01-15T12:00:00Z");
    const response = await t.request("/packages.json", { token: expiring.token });
    expect(response.status).toBe(403);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.code).toBe("TokenExpired");
    expect(body.warning).toMatch(/token expired on 2026-01-15/);
  });

  it("refuses a revoked token with 403 from the next request on", async () => {
    const revoked = await t.createToken();
    expect((await t.request("/packages.json", { token: revoked.token })).status).toBe(200);
    await t.runtime.tokens.revoke(revoked.id);
    const response = await t.request("/packages.json", { token: revoked.token });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "TokenRevoked" });
  });

  it("refuses a token without the needed scope (403 InsufficientScope)", async () => {
    const response = await t.request("/api/tokens", { token: reader.token });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    expect(await response.json()).toMatchObject({ code: "InsufficientScope", status: 403 });
    const writer = await t.createToken({ scopes: ["write"] });
    expect((await t.request("/api/repositories", { token: writer.token })).status).toBe(403);
  });

  it("lets higher scopes do what lower ones may", async () => {
    const admin = await t.createToken({ scopes: ["admin"] });
    expect((await t.request("/packages.json", { token: admin.token })).status).toBe(200);
    expect((await t.request("/api/tokens", { token: admin.token })).status).toBe(200);
  });
});

describe("error content types", () => {
  it("uses application/json with a warning on Composer routes", async () => {
    for (const path of [
      "/packages.json",
      "/p2/acme/x.json",
      "/dists/acme/x/1.0.0.0/" + "a".repeat(40) + ".zip",
    ]) {
      const response = await t.request(path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("content-type"), path).toBe("application/json");
      expect(((await response.json()) as { warning?: string }).warning, path).toBeTypeOf("string");
    }
    const notify = await t.request("/downloads", { method: "POST", body: { downloads: [] } });
    expect(notify.headers.get("content-type")).toBe("application/json");
  });

  it("uses application/problem+json, without a warning, on /api", async () => {
    for (const path of ["/api/tokens", "/api/repositories", "/api/tokens/x"]) {
      const response = await t.request(path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("content-type"), path).toBe(PROBLEM);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body, path).toMatchObject({ type: "about:blank", title: "Unauthorized", status: 401 });
      expect(body.warning, path).toBeUndefined();
    }
  });

  it("answers a known path with an unsupported method with a clean 4xx", async () => {
    const response = await t.request("/packages.json", { method: "DELETE", token: reader.token });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("turns an unexpected failure into a 500 that names the request id, and logs it", async () => {
    await t.runtime.close();
    const before = t.logLines.length;
    const response = await t.request("/packages.json", {
      token: reader.token,
      headers: { "x-request-id": "failing-request" },
    });
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "InternalError", requestId: "failing-request", status: 500 });
    expect(body.warning).toMatch(/request id/);
    expect(JSON.stringify(body)).not.toMatch(/sqlite|database|\.ts/i);
    const lines = t.logLines.slice(before);
    expect(lines.map((line) => line.message)).toEqual(["Unhandled error", "Request completed"]);
    expect(lines[0]).toMatchObject({ level: "error", requestId: "failing-request" });
  });

  it("sends no stack traces or internals in error bodies", async () => {
    const response = await t.request("/p2/acme/%00.json", {
      headers: { authorization: authorization(reader.token) },
    });
    const text = await response.text();
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });
});
