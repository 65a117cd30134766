import { Gauge, Registry } from "prom-client";
import type { SinkView } from "../audit/sinks/sink-view.ts";
import type { JobStatus } from "../jobs/job-board.ts";

/** The latest signed checkpoint of the audit log: how far it covers the log, and when. */
export interface CheckpointView {
  readonly size: number;
  readonly createdAt: string;
}

/** What the metrics read when Prometheus scrapes: the database's current state, nothing cached. */
export interface MetricSources {
  readonly sinks: () => Promise<readonly SinkView[]>;
  readonly logSize: () => Promise<number>;
  readonly openAlerts: () => Promise<number>;
  /** The latest signed checkpoint; null before the first one. */
  readonly latestCheckpoint: () => Promise<CheckpointView | null>;
  /** Events the audit search index covers (its cursor). */
  readonly searchIndexedThrough: () => Promise<number>;
  /** The background jobs: who holds each one's lease, and its latest run. */
  readonly jobs: () => Promise<readonly JobStatus[]>;
  /** Repository syncs recorded as running. */
  readonly runningSyncs: () => Promise<number>;
  /** The time the ages are measured to. */
  readonly now: () => Date;
}

/** The gauges of one sink, by metric name. */
const SINK_GAUGES: readonly { name: string; help: string; value: (sink: SinkView) => number }[] = [
  {
    name: "pb_audit_sink_lag_events",
    help: "Events the sink's receiver does not hold yet.",
    value: (s) => s.lag.events,
  },
  {
    name: "pb_audit_sink_lag_seconds",
    help: "Age of the oldest event the sink's receiver does not hold yet (0 when caught up).",
    value: (s) => s.lag.seconds,
  },
  { name: "pb_audit_sink_failures", help: "Failed delivery attempts in a row.", value: (s) => s.failures },
  {
    name: "pb_audit_sink_parked_records",
    help: "Records the receiver refused for good.",
    value: (s) => s.parked,
  },
  {
    name: "pb_audit_sink_delivered_records",
    help: "Records delivered since the sink was added.",
    value: (s) => s.delivered,
  },
  {
    name: "pb_audit_sink_paused",
    help: "1 while delivery to the sink is paused.",
    value: (s) => (s.paused ? 1 : 0),
  },
  {
    name: "pb_audit_sink_last_success_timestamp_seconds",
    help: "When the sink last delivered (Unix time; 0: never).",
    value: (s) => (s.lastSuccessAt === null ? 0 : Date.parse(s.lastSuccessAt) / 1000),
  },
];

/**
 * Thrown by a family that has no value in a normal state (no checkpoint signed yet): the scrape
 * leaves it out without logging, unlike a source that fails.
 */
export class NoValueYet extends Error {
  override readonly name = "NoValueYet";
}

/** The gauges read from the database, and the start of each scrape (when they read again). */
export interface SharedMetrics {
  readonly registry: Registry;
  /** A new scrape: the sources are read again, once each, whichever families use them. */
  startScrape(): void;
}

/**
 * The gauges read from the database at each scrape (docs/operations/metrics.md): one registry per
 * app (no global), computed from the database, so every node and worker reports the same values.
 * A source that fails makes its families fail, which the scrape leaves out (metrics-scrape.ts).
 */
export function createMetricsRegistry(sources: MetricSources): SharedMetrics {
  const registry = new Registry();
  const memos: Memo<unknown>[] = [];
  const once = <T>(read: () => Promise<T>): (() => Promise<T>) => {
    const memo = new Memo(read);
    memos.push(memo);
    return () => memo.get();
  };
  const sinks = once(sources.sinks);
  const logSize = once(sources.logSize);
  const checkpoint = once(sources.latestCheckpoint);
  const jobs = once(sources.jobs);
  for (const { name, help, value } of SINK_GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ["sink", "type"],
      registers: [registry],
      async collect() {
        const views = await sinks();
        this.reset();
        for (const sink of views) this.set({ sink: sink.name, type: sink.type }, value(sink));
      },
    });
  }
  const gauge = (name: string, help: string, read: () => Promise<number>): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await read());
      },
    });
  };
  gauge("pb_audit_log_events", "Events in the audit log (its tree size).", logSize);
  gauge(
    "pb_audit_unsigned_events",
    "Events appended after the latest signed checkpoint (not covered by a signature yet).",
    async () => (await logSize()) - ((await checkpoint())?.size ?? 0),
  );
  gauge(
    "pb_audit_checkpoint_age_seconds",
    "Time since the latest signed checkpoint (0 while the log is empty and has none).",
    async () => {
      const latest = await checkpoint();
      if (latest === null) {
        if ((await logSize()) === 0) return 0;
        throw new NoValueYet("the audit log has events but no signed checkpoint yet");
      }
      return Math.max(0, (sources.now().getTime() - Date.parse(latest.createdAt)) / 1000);
    },
  );
  gauge(
    "pb_audit_search_index_lag_events",
    "Events of the audit log the search index does not cover yet.",
    async () => Math.max(0, (await logSize()) - (await sources.searchIndexedThrough())),
  );
  gauge("pb_alerts_open", "Alerts not acknowledged yet.", sources.openAlerts);
  gauge(
    "pb_jobs_held",
    "Background jobs some process holds the lease of (runs); the others run nowhere now.",
    async () => (await jobs()).filter((job) => job.state === "held").length,
  );
  gauge("pb_sync_runs_running", "Repository syncs recorded as running.", sources.runningSyncs);
  const perJob = (name: string, help: string, value: (job: JobStatus) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["job"],
      registers: [registry],
      async collect() {
        const state = await jobs();
        this.reset();
        for (const job of state) this.set({ job: job.name }, value(job));
      },
    });
  };
  perJob("pb_job_held", "1 while a process holds the job's lease (the job runs there).", (job) =>
    job.state === "held" ? 1 : 0,
  );
  perJob("pb_job_last_run_failed", "1 when the job's latest recorded run failed.", (job) =>
    job.lastRun?.outcome === "failed" ? 1 : 0,
  );
  perJob(
    "pb_job_last_tick_timestamp_seconds",
    "When a process last took or renewed the job's lease (Unix time; 0: never): stale means no node runs it.",
    (job) => (job.lastTickAt === null ? 0 : Date.parse(job.lastTickAt) / 1000),
  );
  return {
    registry,
    startScrape: () => {
      for (const memo of memos) memo.clear();
    },
  };
}

/** One source's answer, read once per scrape by the families that share it. */
class Memo<T> {
  readonly #read: () => Promise<T>;
  #current: Promise<T> | null = null;

  constructor(read: () => Promise<T>) {
    this.#read = read;
  }

  get(): Promise<T> {
    this.#current ??= this.#read();
    return this.#current;
  }

  clear(): void {
    this.#current = null;
  }
}
