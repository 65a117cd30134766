import { AggregatorRegistry, Registry } from "prom-client";
import type { Logger } from "./logger.ts";
import { NoValueYet, type SharedMetrics } from "./metrics.ts";
import { isProcessSnapshot, type ProcessSnapshot } from "./process-metrics.ts";

/** What /metrics answers with. */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

export interface MetricsScrapeOptions {
  /** The gauges read from the database at each scrape (metrics.ts): the same in every process. */
  readonly shared: SharedMetrics;
  /**
   * The counters of every process that serves (process-metrics.ts): this one's alone in a
   * single-process server; with PB_WORKERS > 1, what the primary gathered from itself and each
   * worker (cluster/metrics-gathering.ts).
   */
  readonly processes: () => Promise<readonly ProcessSnapshot[]>;
  readonly logger: Logger;
}

/**
 * One scrape: the processes' counters summed (prom-client's AggregatorRegistry.aggregate: counters
 * and histogram buckets add up), then the database gauges. A family whose source fails (the
 * database away, a worker's snapshot that cannot be read) is left out of the answer and logged as
 * "Metrics not collected"; the other families are still answered, so one broken source never
 * turns the whole scrape into an error, and Prometheus sees the gap rather than a false 0.
 */
export class MetricsScrape implements MetricsExposition {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  readonly #options: MetricsScrapeOptions;

  constructor(options: MetricsScrapeOptions) {
    this.#options = options;
  }

  async render(): Promise<string> {
    const { shared } = this.#options;
    shared.startScrape();
    const [processFamilies, sharedFamilies] = await Promise.all([
      this.#processFamilies(),
      this.#families(shared.registry),
    ]);
    const families = [...processFamilies, ...sharedFamilies];
    return families.length === 0 ? "" : `${families.join("\n\n")}\n`;
  }

  async #processFamilies(): Promise<string[]> {
    let aggregated: Registry;
    try {
      const snapshots = await this.#options.processes();
      if (!snapshots.every(isProcessSnapshot)) throw new Error("a process sent counters that cannot be read");
      aggregated = AggregatorRegistry.aggregate([...snapshots]);
    } catch (error) {
      this.#notCollected("process counters", error);
      return [];
    }
    return this.#families(aggregated);
  }

  /** Each family of `registry` as text, without those that failed. */
  async #families(registry: Registry): Promise<string[]> {
    const texts = await Promise.all(
      registry.getMetricsAsArray().map(async ({ name }) => {
        try {
          return await registry.getSingleMetricAsString(name);
        } catch (error) {
          if (!(error instanceof NoValueYet)) this.#notCollected(name, error);
          return null;
        }
      }),
    );
    return texts.filter((text): text is string => text !== null);
  }

  #notCollected(family: string, error: unknown): void {
    this.#options.logger.warn({ error, context: { family } }, "Metrics not collected");
  }
}
