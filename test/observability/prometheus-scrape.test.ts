import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildZip } from "../builders/zip-builder.ts";
import { brokerJson, BrokerServer } from "../support/broker-process.ts";
import {
  BROKER_JOB,
  requirePrometheus,
  startPrometheus,
  type PrometheusServer,
} from "../support/prometheus-server.ts";
import { createPostgresDatabase, testEngines } from "../support/test-databases.ts";

/**
 * /metrics as the real Prometheus scrapes it: `package-broker serve` with two workers (on SQLite,
 * and PostgreSQL when the harness has it), Prometheus 2 scraping every second with
 * PB_METRICS_TOKEN. Requests go to both workers, and whichever answers the scrape, the counters
 * are the server's (the primary gathers every process's). What Prometheus stored is read back
 * through its HTTP API, as a dashboard or an alert rule would.
 */

const METRICS_TOKEN = "prometheus-scrape-0123456789abcdef";
const P2_ROUTE = "/p2/:vendor/:file";
const runs = requirePrometheus();

interface LogLine {
  readonly message?: string;
  readonly pid?: number;
  readonly requestId?: string;
}

/** A GET on a new connection (the primary deals connections out to the workers in turn). */
function get(url: string, headers: Record<string, string>, requestId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      url,
      { agent: false, headers: { ...headers, "x-request-id": requestId } },
      (response) => {
        response.resume();
        response.on("end", () => {
          resolve(response.statusCode ?? 0);
        });
      },
    );
    request.on("error", reject);
  });
}

describe.runIf(runs).each(testEngines())("Prometheus scraping serve with PB_WORKERS=2 on %s", (engine) => {
  let root: string;
  let server: BrokerServer;
  let prometheus: PrometheusServer;
  let reader: string;
  let admin: string;
  /** What afterAll undoes, last started first stopped. */
  const started: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-prometheus-scrape-"));
    started.push(() => {
      fs.rmSync(root, { recursive: true, force: true });
      return Promise.resolve();
    });
    const env = {
      PB_DATA_DIR: path.join(root, "data"),
      PB_BASE_URL: "http://127.0.0.1:8080",
      PB_WORKERS: "2",
      PB_METRICS_TOKEN: METRICS_TOKEN,
      ...(engine === "postgres" ? { PB_DATABASE_URL: await createPostgresDatabase() } : {}),
    };
    const file = path.join(root, "red.zip");
    fs.writeFileSync(
      file,
      buildZip([{ name: "composer.json", data: JSON.stringify({ name: "acme/red", version: "1.0.0" }) }]),
    );
    brokerJson(["package", "upload", file], env);
    reader = brokerJson<{ token: string }>(["token", "create", "--description", "reader"], env).token;
    admin = brokerJson<{ token: string }>(
      ["token", "create", "--description", "admin", "--scope", "admin"],
      env,
    ).token;
    server = await BrokerServer.start(env);
    started.push(() => server.stop());
    const deadline = Date.now() + 20_000;
    while (server.logLines.filter((line) => line.message === "Worker started").length < 2) {
      if (Date.now() > deadline) throw new Error("the two workers did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    prometheus = await startPrometheus({ target: new URL(server.url).host, bearerToken: METRICS_TOKEN });
    started.push(() => prometheus.stop());
  }, 90_000);

  afterAll(async () => {
    for (const stop of started.reverse()) await stop();
  });

  /** The value of `expression` now, 0 when it has no series yet. */
  async function valueOf(expression: string): Promise<number> {
    return (await prometheus.value(expression)) ?? 0;
  }

  /** The server's audit counters and log size, once Prometheus has a scrape where both agree with the last. */
  async function settledAudit(): Promise<{ appended: number; logged: number }> {
    let previous = { appended: -1, logged: -1 };
    const deadline = Date.now() + 20_000;
    for (;;) {
      await prometheus.waitForScrape();
      const current = {
        appended: await valueOf("sum(pb_audit_events_appended_total)"),
        logged: await valueOf("pb_audit_log_events"),
      };
      if (current.appended === previous.appended && current.logged === previous.logged) return current;
      if (Date.now() > deadline)
        throw new Error(`the audit counters did not settle: ${JSON.stringify(current)}`);
      previous = current;
    }
  }

  it("scrapes the server with the metrics token: up is 1", async () => {
    await prometheus.waitForScrape();
    expect(await prometheus.value(`up{job="${BROKER_JOB}"}`)).toBe(1);
  });

  it("has the requests, their durations, cache lookups and audit appends of both workers", async () => {
    const before = await settledAudit();
    const count = (labels: string): Promise<number> => valueOf(`sum(pb_http_requests_total{${labels}})`);
    const p2Before = await count(`method="GET",route="${P2_ROUTE}",status="200"`);
    const unmatchedBefore = await count(`route="unmatched"`);
    const refusedBefore = await count(`method="GET",status="401"`);
    const lookupsBefore = await valueOf(`sum(pb_cache_requests_total{cache="p2"})`);

    const basic = (token: string) => ({
      authorization: `Basic ${Buffer.from(`token:${token}`).toString("base64")}`,
    });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const requestId = `scrape-${engine}-${i}`;
      ids.push(requestId);
      expect(await get(`${server.url}/p2/acme/red.json`, basic(reader), requestId)).toBe(200);
    }
    expect(await get(`${server.url}/packages.json`, basic(reader), "scrape-root")).toBe(200);
    expect(await get(`${server.url}/api/tokens`, { authorization: `Bearer ${admin}` }, "scrape-api")).toBe(
      200,
    );
    expect(
      await get(
        `${server.url}/api/tokens`,
        { authorization: "Bearer not-a-token-0123456789" },
        "scrape-refused",
      ),
    ).toBe(401);
    const junk = randomBytes(6).toString("hex");
    for (let i = 0; i < 3; i++) {
      expect(await get(`${server.url}/${junk}/${i}`, {}, `scrape-junk-${i}`)).toBe(404);
    }
    // Both workers answered some of the metadata requests.
    const answeredBy = new Set(
      (server.logLines as LogLine[])
        .filter((line) => line.message === "Request completed" && ids.includes(line.requestId ?? ""))
        .map((line) => line.pid),
    );
    expect(answeredBy.size).toBe(2);

    const after = await settledAudit();
    expect(await count(`method="GET",route="${P2_ROUTE}",status="200"`)).toBe(p2Before + 12);
    expect(await count(`route="unmatched"`)).toBe(unmatchedBefore + 3);
    expect(await count(`method="GET",status="401"`)).toBe(refusedBefore + 1);
    // The refused request is labelled with the route it matched, the API call too.
    const refused = await prometheus.query(`pb_http_requests_total{status="401"}`);
    expect(refused.map((sample) => sample.metric.route)).toEqual(["/api/tokens"]);
    expect(await count(`method="GET",route="/api/tokens",status="200"`)).toBe(1);
    // No label value comes from a path a client made up.
    expect(await prometheus.query(`{__name__=~"pb_.+", route=~".*${junk}.*"}`)).toEqual([]);
    // Every metadata request looked in the cache of the worker that answered it.
    expect((await valueOf(`sum(pb_cache_requests_total{cache="p2"})`)) - lookupsBefore).toBe(12);
    // The histogram: its buckets, and a median within them.
    const buckets = await prometheus.query(`pb_http_request_duration_seconds_bucket{route="${P2_ROUTE}"}`);
    expect(buckets.map((sample) => sample.metric.le)).toContain("+Inf");
    expect(buckets.length).toBeGreaterThanOrEqual(13);
    const median = await prometheus.value(
      `histogram_quantile(0.5, sum by (le) (pb_http_request_duration_seconds_bucket{route="${P2_ROUTE}"}))`,
    );
    expect(median).toBeGreaterThan(0);
    expect(await valueOf(`sum(pb_http_request_duration_seconds_count{route="${P2_ROUTE}"})`)).toBe(
      await count(`route="${P2_ROUTE}"`),
    );
    // Every event the log grew by was counted where it was appended, in whichever process.
    expect(after.logged - before.logged).toBeGreaterThanOrEqual(13);
    expect(after.appended - before.appended).toBe(after.logged - before.logged);
    expect(
      await valueOf(`sum(pb_audit_events_appended_total{category="package_access"})`),
    ).toBeGreaterThanOrEqual(12);
  });

  it("has the audit checkpoint and search lag, the sinks, alerts and jobs gauges", async () => {
    await prometheus.waitForScrape();
    for (const family of [
      "pb_audit_unsigned_events",
      "pb_audit_checkpoint_age_seconds",
      "pb_audit_search_index_lag_events",
      "pb_alerts_open",
      "pb_jobs_held",
      "pb_sync_runs_running",
      "pb_rate_limit_unchecked_requests_total",
    ]) {
      const samples = await prometheus.query(family);
      expect(samples, family).toHaveLength(1);
      expect(samples[0]?.value[1], family).toBeGreaterThanOrEqual(0);
    }
    expect(await prometheus.value("pb_sync_runs_running")).toBe(0);
    // The log's events are all counted by the latest checkpoint or waiting for the next one.
    const unsigned = await valueOf("pb_audit_unsigned_events");
    expect(unsigned).toBeLessThanOrEqual(await valueOf("pb_audit_log_events"));
    const jobs = await prometheus.query("pb_job_running");
    for (const job of jobs) expect(job.value[1] === 0 || job.value[1] === 1).toBe(true);
  });
});
