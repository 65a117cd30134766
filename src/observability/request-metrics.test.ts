import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../test/builders/test-runtime.ts";
import { parseMetricsText, samplesOf, sumOf, type MetricSample } from "../../test/support/metrics-text.ts";
import { UNMATCHED_ROUTE } from "../http/route-label.ts";
import { AuditSearchIndex } from "../storage/database/audit-search-index.ts";

const METRICS_TOKEN = "scrape-me-0123456789abcdef";
const P2_ROUTE = "/p2/:vendor/:file";

/**
 * The counters of one process (process-metrics.ts) as /metrics shows them, through the real app:
 * requests by matched route pattern, their durations, cache lookups and audit appends.
 */
describe("request, cache and audit metrics", () => {
  let t: TestRuntime;
  let reader: TestToken;

  beforeAll(async () => {
    t = await TestRuntime.start({ env: { PB_METRICS_TOKEN: METRICS_TOKEN } });
    const admin = await t.createToken({ scopes: ["admin"] });
    reader = await t.createToken();
    await t.publish("acme/red", "1.0.0", admin.token);
  });

  afterAll(async () => {
    await t.cleanup();
  });

  async function scrape(): Promise<MetricSample[]> {
    await t.runtime.audit.log.flush();
    const response = await t.app.request("/metrics", {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    return parseMetricsText(await response.text());
  }

  it("counts requests by method, route pattern and status, with their durations", async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      expect((await t.request("/p2/acme/red.json", { token: reader.token })).status).toBe(200);
    }
    expect((await t.request("/p2/acme/missing.json", { token: reader.token })).status).toBe(404);
    const after = await scrape();
    const delta = (labels: Record<string, string>): number =>
      sumOf(after, "pb_http_requests_total", labels) - sumOf(before, "pb_http_requests_total", labels);
    expect(delta({ method: "GET", route: P2_ROUTE, status: "200" })).toBe(3);
    expect(delta({ method: "GET", route: P2_ROUTE, status: "404" })).toBe(1);
    // The histogram: every request in the +Inf bucket and the count, buckets cumulative.
    const buckets = samplesOf(after, "pb_http_request_duration_seconds_bucket", {
      method: "GET",
      route: P2_ROUTE,
    });
    expect(buckets.map((bucket) => bucket.labels.le)).toContain("0.005");
    const infinite = buckets.find((bucket) => bucket.labels.le === "+Inf");
    const count = sumOf(after, "pb_http_request_duration_seconds_count", { route: P2_ROUTE });
    expect(infinite?.value).toBe(count);
    expect(count).toBeGreaterThanOrEqual(4);
    const values = buckets.map((bucket) => bucket.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(sumOf(after, "pb_http_request_duration_seconds_sum", { route: P2_ROUTE })).toBeGreaterThan(0);
  });

  it("labels a request refused by the token guard with the route it matched", async () => {
    const before = await scrape();
    expect((await t.app.request("/api/tokens")).status).toBe(401);
    const after = await scrape();
    const refused = samplesOf(after, "pb_http_requests_total", { method: "GET", status: "401" }).filter(
      (sample) => sample.labels.route?.startsWith("/api/tokens") === true,
    );
    expect(refused).toHaveLength(1);
    const route = refused[0]?.labels.route ?? "";
    const was = sumOf(before, "pb_http_requests_total", { method: "GET", route, status: "401" });
    expect(refused[0]?.value).toBe(was + 1);
  });

  it("gives hostile paths and methods no label values of their own", async () => {
    const before = await scrape();
    const sent = 200;
    for (let i = 0; i < sent / 2; i++) {
      const junk = randomBytes(8).toString("hex");
      await t.app.request(`/${junk}/${junk}?${junk}=1`);
      await t.app.request(`/api/${junk}`, { method: "PURGE" });
    }
    // Made-up package names and an 8 KB path on a real route: the route's pattern, nothing else.
    for (let i = 0; i < 20; i++) {
      const junk = randomBytes(8).toString("hex");
      expect((await t.request(`/p2/${junk}/${junk}.json`, { token: reader.token })).status).toBe(404);
    }
    expect((await t.request(`/p2/acme/${"x".repeat(8192)}.json`, { token: reader.token })).status).toBe(404);
    const after = await scrape();
    const requests = samplesOf(after, "pb_http_requests_total");
    const routes = new Set(requests.map((sample) => sample.labels.route));
    const methods = new Set(requests.map((sample) => sample.labels.method));
    expect(methods).toContain("other");
    for (const method of methods)
      expect(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "other"]).toContain(method);
    for (const route of routes) expect(route === UNMATCHED_ROUTE || route?.startsWith("/")).toBe(true);
    // Everything unmatched shares one label: no new series, only the count grows.
    const unmatched = (samples: MetricSample[]): number =>
      sumOf(samples, "pb_http_requests_total", { route: UNMATCHED_ROUTE });
    expect(unmatched(after) - unmatched(before)).toBe(sent);
    const p2Missing = (samples: MetricSample[]): number =>
      sumOf(samples, "pb_http_requests_total", { route: P2_ROUTE, status: "404" });
    expect(p2Missing(after) - p2Missing(before)).toBe(21);
    for (const sample of requests) expect(sample.labels.route?.length ?? 0).toBeLessThan(100);
    const series = (samples: MetricSample[]): number => samplesOf(samples, "pb_http_requests_total").length;
    expect(series(after) - series(before)).toBeLessThanOrEqual(3);
    expect(routes.size).toBeLessThan(10);
  });

  it("counts cache hits and misses of the metadata documents", async () => {
    const before = await scrape();
    // A new version makes the cached document stale: a miss, then hits.
    const admin = await t.createToken({ scopes: ["admin"] });
    await t.publish("acme/red", "1.1.0", admin.token);
    for (let i = 0; i < 3; i++) await t.request("/p2/acme/red.json", { token: reader.token });
    await t.request("/packages.json", { token: reader.token });
    const after = await scrape();
    const delta = (labels: Record<string, string>): number =>
      sumOf(after, "pb_cache_requests_total", labels) - sumOf(before, "pb_cache_requests_total", labels);
    expect(delta({ cache: "p2", result: "miss" })).toBe(1);
    expect(delta({ cache: "p2", result: "hit" })).toBe(2);
    expect(
      delta({ cache: "packages_json", result: "hit" }) + delta({ cache: "packages_json", result: "miss" }),
    ).toBe(1);
    // Every cache and result is there from the start, at 0 when unused.
    expect(samplesOf(after, "pb_cache_requests_total", { cache: "proxy_p2" })).toHaveLength(2);
  });

  it("counts appended audit events by category, as many as the log grew", async () => {
    const before = await scrape();
    await t.request("/p2/acme/red.json", { token: reader.token });
    await t.app.request("/api/tokens", { headers: { authorization: "Bearer not-a-token-0123456789" } });
    await t.createToken({ scopes: ["admin"] });
    const after = await scrape();
    const appended =
      sumOf(after, "pb_audit_events_appended_total") - sumOf(before, "pb_audit_events_appended_total");
    const grown = sumOf(after, "pb_audit_log_events") - sumOf(before, "pb_audit_log_events");
    expect(appended).toBeGreaterThanOrEqual(2);
    expect(appended).toBe(grown);
    const category = (name: string): number =>
      sumOf(after, "pb_audit_events_appended_total", { category: name }) -
      sumOf(before, "pb_audit_events_appended_total", { category: name });
    expect(category("package_access")).toBeGreaterThanOrEqual(1);
    expect(category("authentication")).toBeGreaterThanOrEqual(1);
    expect(samplesOf(after, "pb_audit_events_appended_total", { category: "alert" })).toHaveLength(1);
  });

  it("shows the checkpoint, search index and job gauges read from the database", async () => {
    await t.runtime.audit.checkpointer.checkpointNow();
    const samples = await scrape();
    const { records } = t.runtime.audit;
    const size = (await records.state()).size;
    const checkpoint = await records.latestCheckpoint();
    expect(sumOf(samples, "pb_audit_unsigned_events")).toBe(size - (checkpoint?.size ?? 0));
    const age = samplesOf(samples, "pb_audit_checkpoint_age_seconds");
    if (checkpoint === null) {
      // Events without a checkpoint yet: no age to give, the family is left out.
      expect(age).toHaveLength(0);
    } else {
      const expected = (t.clock.now().getTime() - Date.parse(checkpoint.createdAt)) / 1000;
      expect(age[0]?.value).toBe(expected);
    }
    const indexed = (await new AuditSearchIndex(t.runtime.database.db).status()).indexedThrough;
    expect(sumOf(samples, "pb_audit_search_index_lag_events")).toBe(size - indexed);
    expect(sumOf(samples, "pb_jobs_held")).toBe(0);
    expect(sumOf(samples, "pb_sync_runs_running")).toBe(0);
    // The scrape's own request is counted on the next one.
    const next = await scrape();
    expect(sumOf(next, "pb_http_requests_total", { route: "/metrics", status: "200" })).toBeGreaterThan(0);
  });
});
