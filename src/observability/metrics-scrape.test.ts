import { describe, expect, it } from "vitest";
import { parseMetricsText, samplesOf, sumOf } from "../../test/support/metrics-text.ts";
import type { JobStatus } from "../jobs/job-board.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetricsRegistry, type MetricSources } from "./metrics.ts";
import { MetricsScrape } from "./metrics-scrape.ts";
import { ProcessMetrics, type ProcessSnapshot } from "./process-metrics.ts";

const NOW = new Date("2026-03-01T12:00:00.000Z");

function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "info",
    destination: {
      write: (line: string) => {
        for (const part of line.split("\n")) {
          if (part.trim() !== "") lines.push(JSON.parse(part) as Record<string, unknown>);
        }
      },
    },
  });
  return { logger, lines };
}

const job = (name: string, held: boolean, lastRun: "succeeded" | "failed" | null): JobStatus => ({
  name,
  description: name,
  intervalSeconds: 1,
  state: held ? "held" : "free",
  holder: held ? "node-a:1:00000000" : null,
  leaseUntil: held ? "2026-03-01T12:01:00.000Z" : null,
  lastTickAt: "2026-03-01T11:59:50.000Z",
  lastRun:
    lastRun === null
      ? null
      : {
          id: "01JNB5Q0000000000000000000",
          job: name,
          holder: "node-a:1:00000000",
          startedAt: "2026-03-01T11:59:50.000Z",
          finishedAt: "2026-03-01T11:59:50.100Z",
          outcome: lastRun,
          summary: {},
          error: lastRun === "failed" ? "receiver said no" : null,
        },
});

const JOBS: readonly JobStatus[] = [
  job("audit.checkpoints", true, "succeeded"),
  job("audit.sinks.delivery", false, "failed"),
];

function sources(overrides: Partial<MetricSources> = {}): MetricSources {
  return {
    sinks: () => Promise.resolve([]),
    logSize: () => Promise.resolve(120),
    openAlerts: () => Promise.resolve(3),
    latestCheckpoint: () => Promise.resolve({ size: 100, createdAt: "2026-03-01T11:59:30.000Z" }),
    searchIndexedThrough: () => Promise.resolve(90),
    jobs: () => Promise.resolve(JOBS),
    runningSyncs: () => Promise.resolve(2),
    now: () => NOW,
    ...overrides,
  };
}

function scrapeOf(
  metricSources: MetricSources,
  processes: () => Promise<readonly ProcessSnapshot[]> = () => Promise.resolve([]),
): { scrape: MetricsScrape; lines: Record<string, unknown>[] } {
  const { logger, lines } = capturingLogger();
  const scrape = new MetricsScrape({ shared: createMetricsRegistry(metricSources), processes, logger });
  return { scrape, lines };
}

describe("MetricsScrape", () => {
  it("reads the audit lag, alerts and jobs from the database sources", async () => {
    const { scrape } = scrapeOf(sources());
    const samples = parseMetricsText(await scrape.render());
    expect(sumOf(samples, "pb_audit_log_events")).toBe(120);
    expect(sumOf(samples, "pb_audit_unsigned_events")).toBe(20);
    expect(sumOf(samples, "pb_audit_checkpoint_age_seconds")).toBe(30);
    expect(sumOf(samples, "pb_audit_search_index_lag_events")).toBe(30);
    expect(sumOf(samples, "pb_alerts_open")).toBe(3);
    expect(sumOf(samples, "pb_jobs_held")).toBe(1);
    expect(sumOf(samples, "pb_sync_runs_running")).toBe(2);
    expect(sumOf(samples, "pb_job_held", { job: "audit.checkpoints" })).toBe(1);
    expect(sumOf(samples, "pb_job_held", { job: "audit.sinks.delivery" })).toBe(0);
    expect(sumOf(samples, "pb_job_last_run_failed", { job: "audit.sinks.delivery" })).toBe(1);
    expect(sumOf(samples, "pb_job_last_run_failed", { job: "audit.checkpoints" })).toBe(0);
    expect(sumOf(samples, "pb_job_last_tick_timestamp_seconds", { job: "audit.checkpoints" })).toBe(
      Date.parse("2026-03-01T11:59:50.000Z") / 1000,
    );
  });

  it("reads each source once per scrape, and again at the next one", async () => {
    const reads = { logSize: 0, checkpoint: 0, jobs: 0 };
    let size = 10;
    const { scrape } = scrapeOf(
      sources({
        logSize: () => {
          reads.logSize++;
          return Promise.resolve(size);
        },
        latestCheckpoint: () => {
          reads.checkpoint++;
          return Promise.resolve({ size: 4, createdAt: NOW.toISOString() });
        },
        jobs: () => {
          reads.jobs++;
          return Promise.resolve(JOBS);
        },
      }),
    );
    const first = parseMetricsText(await scrape.render());
    expect(reads).toEqual({ logSize: 1, checkpoint: 1, jobs: 1 });
    size = 25;
    const second = parseMetricsText(await scrape.render());
    expect(reads).toEqual({ logSize: 2, checkpoint: 2, jobs: 2 });
    expect(sumOf(first, "pb_audit_unsigned_events")).toBe(6);
    expect(sumOf(second, "pb_audit_unsigned_events")).toBe(21);
  });

  it("leaves out the families of a source that fails, answers the others, and logs it", async () => {
    const { scrape, lines } = scrapeOf(
      sources({
        openAlerts: () => Promise.reject(new Error("database is locked")),
        jobs: () => {
          throw new Error("no such table: job_leases");
        },
        runningSyncs: () => Promise.reject(new Error("no such table: sync_runs")),
      }),
    );
    const text = await scrape.render();
    const samples = parseMetricsText(text);
    expect(samplesOf(samples, "pb_alerts_open")).toHaveLength(0);
    expect(text).not.toContain("pb_alerts_open");
    for (const family of [
      "pb_jobs_held",
      "pb_sync_runs_running",
      "pb_job_held",
      "pb_job_last_run_failed",
      "pb_job_last_tick_timestamp_seconds",
    ])
      expect(text).not.toContain(family);
    expect(sumOf(samples, "pb_audit_log_events")).toBe(120);
    const failed = lines
      .filter((line) => line.message === "Metrics not collected")
      .map((line) => (line.context as { family: string }).family);
    expect(failed.sort()).toEqual(
      [
        "pb_alerts_open",
        "pb_job_last_run_failed",
        "pb_job_held",
        "pb_job_last_tick_timestamp_seconds",
        "pb_jobs_held",
        "pb_sync_runs_running",
      ].sort(),
    );
  });

  it("gives no checkpoint age while events wait for a first checkpoint, and 0 for an empty log", async () => {
    const unsigned = scrapeOf(sources({ latestCheckpoint: () => Promise.resolve(null) }));
    const samples = parseMetricsText(await unsigned.scrape.render());
    expect(samplesOf(samples, "pb_audit_checkpoint_age_seconds")).toHaveLength(0);
    // A normal state (the first checkpoint comes within PB_AUDIT_CHECKPOINT_SECONDS): not logged.
    expect(unsigned.lines.filter((line) => line.message === "Metrics not collected")).toEqual([]);
    expect(sumOf(samples, "pb_audit_unsigned_events")).toBe(120);
    const empty = scrapeOf(
      sources({ latestCheckpoint: () => Promise.resolve(null), logSize: () => Promise.resolve(0) }),
    );
    const none = parseMetricsText(await empty.scrape.render());
    expect(samplesOf(none, "pb_audit_checkpoint_age_seconds")).toEqual([
      { name: "pb_audit_checkpoint_age_seconds", labels: {}, value: 0 },
    ]);
  });

  it("adds up the counters of every process", async () => {
    const a = new ProcessMetrics();
    const b = new ProcessMetrics();
    const sample = { method: "GET", route: "/p2/:vendor/:file", status: 200 };
    a.requestCompleted({ ...sample, seconds: 0.002 });
    a.requestCompleted({ ...sample, seconds: 0.3 });
    b.requestCompleted({ ...sample, seconds: 0.004 });
    b.requestCompleted({ ...sample, status: 401, seconds: 0.001 });
    a.auditAppended(["package_access", "package_access"]);
    b.auditAppended(["authentication"]);
    a.cacheLookup("p2", false);
    b.cacheLookup("p2", true);
    b.cacheLookup("p2", true);
    b.countUncheckedFrom(() => 7);
    const { scrape } = scrapeOf(sources(), async () => [await a.snapshot(), await b.snapshot()]);
    const samples = parseMetricsText(await scrape.render());
    const route = { route: "/p2/:vendor/:file" };
    expect(sumOf(samples, "pb_http_requests_total", { ...route, status: "200" })).toBe(3);
    expect(sumOf(samples, "pb_http_requests_total", { ...route, status: "401" })).toBe(1);
    expect(sumOf(samples, "pb_http_request_duration_seconds_bucket", { ...route, le: "0.005" })).toBe(3);
    expect(sumOf(samples, "pb_http_request_duration_seconds_bucket", { ...route, le: "0.25" })).toBe(3);
    expect(sumOf(samples, "pb_http_request_duration_seconds_bucket", { ...route, le: "+Inf" })).toBe(4);
    expect(sumOf(samples, "pb_http_request_duration_seconds_count", route)).toBe(4);
    expect(sumOf(samples, "pb_audit_events_appended_total", { category: "package_access" })).toBe(2);
    expect(sumOf(samples, "pb_audit_events_appended_total", { category: "authentication" })).toBe(1);
    expect(sumOf(samples, "pb_audit_events_appended_total", { category: "alert" })).toBe(0);
    expect(sumOf(samples, "pb_cache_requests_total", { cache: "p2", result: "hit" })).toBe(2);
    expect(sumOf(samples, "pb_cache_requests_total", { cache: "p2", result: "miss" })).toBe(1);
    expect(sumOf(samples, "pb_rate_limit_unchecked_requests_total")).toBe(7);
    // One series per label set, not one per process.
    expect(samplesOf(samples, "pb_http_requests_total", { ...route, status: "200" })).toHaveLength(1);
  });

  it("answers the database gauges when the processes' counters cannot be had", async () => {
    const failing = scrapeOf(sources(), () => Promise.reject(new Error("the primary process is gone")));
    const samples = parseMetricsText(await failing.scrape.render());
    expect(samplesOf(samples, "pb_http_requests_total")).toHaveLength(0);
    expect(sumOf(samples, "pb_audit_log_events")).toBe(120);
    expect(failing.lines.some((line) => line.message === "Metrics not collected")).toBe(true);
    // A snapshot no aggregation can read (a broken or hostile peer) is refused the same way.
    const garbage = [[{ name: "pb_x", help: "x", type: "counter", values: [], aggregator: "constructor" }]];
    const broken = scrapeOf(sources(), () => Promise.resolve(garbage as unknown as ProcessSnapshot[]));
    const text = await broken.scrape.render();
    expect(text).not.toContain("pb_x");
    expect(parseMetricsText(text).length).toBeGreaterThan(0);
  });
});
