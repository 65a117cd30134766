import { Counter, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import { auditCategories, type AuditCategory } from "../audit/audit-event.ts";

/** The in-memory caches that count their lookups (`cache` label of pb_cache_requests_total). */
export const metricCaches = ["packages_json", "p2", "proxy_p2"] as const;
export type MetricCache = (typeof metricCaches)[number];

/** One answered HTTP request, with labels already bounded (see route-label.ts). */
export interface RequestSample {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

/** What one process sends when the metrics of all processes of `serve` are gathered. */
export type ProcessSnapshot = readonly MetricObjectWithValues<MetricValue<string>>[];

/**
 * Upper bounds of the request duration histogram, in seconds: metadata answered from the cache
 * takes milliseconds, a dist streamed from an upstream or an audit export several seconds.
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The counters of one process: requests it answered, audit events it appended, lookups in its
 * caches, requests it let through unchecked. Unlike the gauges of metrics.ts (read from the
 * database, the same whichever process answers), these only exist in the process's memory: a
 * scrape adds up every process's snapshot (see metrics-scrape.ts). They start at 0 when the
 * process starts; Prometheus's rate() and increase() treat that as a counter reset.
 */
export class ProcessMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #durations: Histogram<"method" | "route">;
  readonly #appended: Counter<"category">;
  readonly #cacheLookups: Counter<"cache" | "result">;
  #unchecked: () => number = () => 0;

  constructor() {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "pb_http_requests_total",
      help: "HTTP requests answered, by method, matched route pattern and status code.",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.#durations = new Histogram({
      name: "pb_http_request_duration_seconds",
      help: "Time from receiving a request to its response being ready, by method and matched route pattern.",
      labelNames: ["method", "route"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#appended = new Counter({
      name: "pb_audit_events_appended_total",
      help: "Audit events committed to the log, by category.",
      labelNames: ["category"],
      registers,
    });
    this.#cacheLookups = new Counter({
      name: "pb_cache_requests_total",
      help: "Lookups in the in-memory metadata caches, by cache and result (hit: served from memory).",
      labelNames: ["cache", "result"],
      registers,
    });
    for (const category of auditCategories) this.#appended.inc({ category }, 0);
    for (const cache of metricCaches) {
      this.#cacheLookups.inc({ cache, result: "hit" }, 0);
      this.#cacheLookups.inc({ cache, result: "miss" }, 0);
    }
    const read = (): number => this.#unchecked();
    new Counter({
      name: "pb_rate_limit_unchecked_requests_total",
      help: "Requests let through unchecked because the rate limiter (Redis) did not answer.",
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  readonly requestCompleted = (sample: RequestSample): void => {
    const { method, route, status, seconds } = sample;
    this.#requests.inc({ method, route, status: String(status) });
    this.#durations.observe({ method, route }, seconds);
  };

  readonly auditAppended = (categories: readonly AuditCategory[]): void => {
    for (const category of categories) this.#appended.inc({ category });
  };

  readonly cacheLookup = (cache: MetricCache, hit: boolean): void => {
    this.#cacheLookups.inc({ cache, result: hit ? "hit" : "miss" });
  };

  /** Where pb_rate_limit_unchecked_requests_total is read (the rate limiter's own count). */
  countUncheckedFrom(read: () => number): void {
    this.#unchecked = read;
  }

  /** This process's values, as one process's part of a cluster-wide scrape. */
  snapshot(): Promise<ProcessSnapshot> {
    return this.registry.getMetricsAsJSON();
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const METRIC_TYPES = new Set(["counter", "gauge", "histogram", "summary"]);
/** prom-client's aggregators (AggregatorRegistry.aggregate looks the name up among them). */
const AGGREGATORS = new Set(["sum", "first", "min", "max", "average", "omit"]);

/**
 * Whether `value` is a snapshot as {@link ProcessMetrics.snapshot} makes them: what another
 * process sent is checked before it is added up.
 */
export function isProcessSnapshot(value: unknown): value is ProcessSnapshot {
  return Array.isArray(value) && value.every(isFamily);
}

function isFamily(family: unknown): boolean {
  if (typeof family !== "object" || family === null) return false;
  const { name, type, values, aggregator } = family as Record<string, unknown>;
  return (
    typeof name === "string" &&
    METRIC_NAME.test(name) &&
    typeof type === "string" &&
    METRIC_TYPES.has(type) &&
    (aggregator === undefined || (typeof aggregator === "string" && AGGREGATORS.has(aggregator))) &&
    Array.isArray(values) &&
    values.every(
      (sample: unknown) =>
        typeof sample === "object" &&
        sample !== null &&
        "value" in sample &&
        typeof sample.value === "number" &&
        (!("labels" in sample) || (typeof sample.labels === "object" && sample.labels !== null)),
    )
  );
}
