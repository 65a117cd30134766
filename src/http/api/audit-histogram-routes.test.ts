import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestSession, type TestToken } from "../../../test/builders/test-runtime.ts";
import { createPostgresDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { consoleContext, type AuditEvent } from "../../audit/audit-event.ts";
import { rowToEvent } from "../../audit/audit-row.ts";
import { auditTrail } from "../../audit/audit-trail.ts";
import type { AuditHistogramResult } from "../../audit/search/audit-histogram.ts";

const PROBLEM = "application/problem+json";

describe.each(testEngines())("GET /api/audit/histogram on %s", (engine) => {
  let t: TestRuntime;
  let admin: TestToken;
  let writer: TestToken;
  let auditor: TestSession;

  beforeAll(async () => {
    t = await TestRuntime.start(
      engine === "postgres" ? { env: { PB_DATABASE_URL: await createPostgresDatabase() } } : {},
    );
    admin = await t.createToken({ scopes: ["admin"], description: "admin" });
    writer = await t.createToken({ scopes: ["write"], description: "ci" });
    auditor = await t.signInAs("auditor", `auditor-${engine}@example.org`);
    const trail = auditTrail(t.runtime.audit.log, consoleContext);
    for (let index = 0; index < 12; index += 1) {
      await trail.record({
        event: index % 3 === 0 ? "package" : "package_access",
        action: index % 3 === 0 ? "uploaded" : "download",
        outcome: "success",
        target: { type: "package", name: `acme/histogram-${index % 2}`, version: "1.0.0" },
      });
    }
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const get = (path: string, token: string = admin.token): Promise<Response> => t.request(path, { token });

  async function latestRead(): Promise<AuditEvent> {
    const row = await t.runtime.audit.records.latestEvent("audit", "histogram_read");
    if (row === null) throw new Error("no audit/histogram_read event");
    return rowToEvent(row);
  }

  async function searchCount(q: string): Promise<number> {
    const response = await get(`/api/audit/events?q=${encodeURIComponent(q)}&limit=1000`);
    return ((await response.json()) as { events: unknown[] }).events.length;
  }

  it("counts what the search finds for the same query, and records the read", async () => {
    for (const q of ["action:download", "package:acme/histogram-1", "event:package OR action:download"]) {
      const response = await get(`/api/audit/histogram?q=${encodeURIComponent(q)}&buckets=10`);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = (await response.json()) as AuditHistogramResult;
      expect(body.total).toBe(await searchCount(q));
      expect(body.buckets.length).toBeGreaterThanOrEqual(1);
      expect(body.buckets.length).toBeLessThanOrEqual(10);
      expect(body.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(body.total);
      expect(await latestRead()).toMatchObject({
        outcome: "success",
        actor: { type: "token", id: admin.fingerprint },
        details: { query: q, buckets: "10", total: body.total, returned: body.buckets.length },
      });
    }
  });

  it("shows an auditor the same counts as an admin", async () => {
    const path = `/api/audit/histogram?q=${encodeURIComponent("package:acme/*")}&from=2000-01-01&to=2100-01-01`;
    const asAdmin = (await (await get(path)).json()) as AuditHistogramResult;
    const response = await t.request(path, { headers: auditor.headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(asAdmin);
    expect(asAdmin.total).toBe(12);
  });

  it("needs audit:read", async () => {
    expect((await t.request("/api/audit/histogram")).status).toBe(401);
    expect((await get("/api/audit/histogram", writer.token)).status).toBe(403);
  });

  it.each([
    ["q=foo:bar", "InvalidQuery", { parameter: "q", position: 0 }],
    [`q=${encodeURIComponent('"unterminated')}`, "InvalidQuery", { position: 0 }],
    ["q=created:2026-02-30", "InvalidQuery", { position: 8 }],
    ["buckets=0", "InvalidBuckets", { parameter: "buckets" }],
    ["buckets=501", "InvalidBuckets", { parameter: "buckets" }],
    ["buckets=abc", "InvalidBuckets", { parameter: "buckets" }],
    ["buckets=", "InvalidBuckets", { parameter: "buckets" }],
    ["from=2026-13-01", "InvalidDate", { parameter: "from" }],
    ["to=tomorrow", "InvalidDate", { parameter: "to" }],
    ["from=10000-01-01", "InvalidDate", { parameter: "from" }],
    ["from=2026-03-02&to=2026-03-01", "InvalidRange", { parameter: "to" }],
  ])("answers %s with a 400 problem and records the refusal", async (parameters, code, extra) => {
    const response = await get(`/api/audit/histogram?${parameters}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    expect(await response.json()).toMatchObject({ status: 400, code, ...extra });
    expect(await latestRead()).toMatchObject({ outcome: "failure", details: { code } });
  });

  it("refuses a query exactly as the search does", async () => {
    const q = encodeURIComponent("event:package (");
    const search = (await (await get(`/api/audit/events?q=${q}`)).json()) as Record<string, unknown>;
    const histogram = (await (await get(`/api/audit/histogram?q=${q}`)).json()) as Record<string, unknown>;
    expect({ code: histogram.code, detail: histogram.detail, position: histogram.position }).toEqual({
      code: search.code,
      detail: search.detail,
      position: search.position,
    });
  });

  it("answers years 0000 to 9999 in at most the buckets asked, and takes SQL-looking text as text", async () => {
    const wide = await get("/api/audit/histogram?from=0000-01-01&to=9999-12-31&buckets=500");
    const body = (await wide.json()) as AuditHistogramResult;
    expect(body.buckets.length).toBeLessThanOrEqual(500);
    expect(body.total).toBeGreaterThanOrEqual(12);
    const hostile = encodeURIComponent(`"'); drop table audit_search; --" OR package:x'or'1'='1`);
    const inert = (await (await get(`/api/audit/histogram?q=${hostile}`)).json()) as AuditHistogramResult;
    expect(inert).toMatchObject({ total: 0, buckets: [] });
    expect(await searchCount("package:acme/*")).toBe(12);
  });
});
