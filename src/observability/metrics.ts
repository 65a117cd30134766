import { Counter, Gauge, Registry } from "prom-client";
import type { SinkView } from "../audit/sinks/sink-view.ts";

/** What the metrics read when Prometheus scrapes: the database's current state, nothing cached. */
export interface MetricSources {
  readonly sinks: () => Promise<readonly SinkView[]>;
  readonly logSize: () => Promise<number>;
  readonly openAlerts: () => Promise<number>;
  /** Requests let through because the rate limiter could not answer (Redis down); absent: 0. */
  readonly rateLimitUnchecked?: () => number;
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
 * The Prometheus registry of the server (docs/audit-forwarding.md, "Sink health"): one registry
 * per app (no global), gauges computed at each scrape from the database, so every node and
 * worker reports the same values.
 */
export function createMetricsRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  let scrape: Promise<readonly SinkView[]> | null = null;
  // The sink gauges share one read of the sinks per scrape.
  const sinks = (): Promise<readonly SinkView[]> => {
    scrape ??= sources.sinks().finally(() => {
      setImmediate(() => {
        scrape = null;
      });
    });
    return scrape;
  };
  for (const { name, help, value } of SINK_GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ["sink", "type"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const sink of await sinks()) this.set({ sink: sink.name, type: sink.type }, value(sink));
      },
    });
  }
  new Gauge({
    name: "pb_audit_log_events",
    help: "Events in the audit log (its tree size).",
    registers: [registry],
    async collect() {
      this.set(await sources.logSize());
    },
  });
  new Gauge({
    name: "pb_alerts_open",
    help: "Alerts not acknowledged yet.",
    registers: [registry],
    async collect() {
      this.set(await sources.openAlerts());
    },
  });
  const unchecked = sources.rateLimitUnchecked;
  if (unchecked !== undefined) {
    new Counter({
      name: "pb_rate_limit_unchecked_requests_total",
      help: "Requests let through unchecked because the rate limiter (Redis) did not answer.",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(unchecked());
      },
    });
  }
  return registry;
}
