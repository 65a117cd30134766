import { AggregatorRegistry } from "prom-client";
import type { ProcessSnapshot } from "../observability/process-metrics.ts";

/** A running worker the primary can ask for its counters (`send` throws when it is gone). */
export interface MetricsPeer {
  readonly worker: object;
  readonly ask: (id: number) => void;
}

export interface MetricsGatheringOptions {
  /** The primary's own counters (the audit events it appends, the jobs it runs). */
  readonly own: () => Promise<ProcessSnapshot>;
  /** The workers running now. */
  readonly peers: () => readonly MetricsPeer[];
  /** How long a worker gets to answer; one that does not is counted with its previous answer. */
  readonly timeoutMs?: number;
}

interface Gathering {
  readonly waiting: Set<object>;
  readonly done: () => void;
}

const DEFAULT_TIMEOUT_MS = 2000;
/** Exited workers' last answers kept apart before they are added up into one. */
const RETIRED_COMPACT_AT = 16;

/**
 * The primary's side of a scrape with PB_WORKERS > 1: asks every worker for its counters, and
 * answers the worker that is serving the scrape with all of them and its own. The totals must not
 * go down while the server runs (Prometheus would take that for a restart), so a worker that does
 * not answer in time counts with its previous answer, and an exited worker's last answer is kept
 * (what it counted after that answer is lost with it).
 */
export class MetricsGathering {
  readonly #options: MetricsGatheringOptions;
  readonly #latest = new Map<object, ProcessSnapshot>();
  readonly #gatherings = new Map<number, Gathering>();
  #retired: ProcessSnapshot[] = [];
  #compacting: Promise<void> | null = null;
  #nextId = 1;

  constructor(options: MetricsGatheringOptions) {
    this.#options = options;
  }

  /** Every process's counters: the primary's, each worker's, and those of exited workers. */
  async gather(): Promise<ProcessSnapshot[]> {
    const id = this.#nextId++;
    const waiting = new Set<object>();
    const answered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      this.#gatherings.set(id, {
        waiting,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
    for (const peer of this.#options.peers()) {
      try {
        peer.ask(id);
        waiting.add(peer.worker);
      } catch {
        // Gone: its exit is on its way (forget()).
      }
    }
    if (waiting.size === 0) this.#gatherings.get(id)?.done();
    try {
      const [own] = await Promise.all([this.#options.own(), answered]);
      await this.#compactRetired();
      return [own, ...this.#retired, ...this.#latest.values()];
    } finally {
      this.#gatherings.delete(id);
    }
  }

  /** A worker's answer to gathering `id`. */
  answered(worker: object, id: number, snapshot: ProcessSnapshot): void {
    this.#latest.set(worker, snapshot);
    const gathering = this.#gatherings.get(id);
    if (gathering === undefined) return;
    gathering.waiting.delete(worker);
    if (gathering.waiting.size === 0) gathering.done();
  }

  /** `worker` exited: its last answer is kept, and no gathering waits for it. */
  forget(worker: object): void {
    const last = this.#latest.get(worker);
    this.#latest.delete(worker);
    if (last !== undefined) this.#retired.push(last);
    for (const gathering of this.#gatherings.values()) {
      if (gathering.waiting.delete(worker) && gathering.waiting.size === 0) gathering.done();
    }
  }

  /** Many restarts: their answers are added up into one, so the list stays short. */
  async #compactRetired(): Promise<void> {
    if (this.#compacting === null && this.#retired.length >= RETIRED_COMPACT_AT) {
      this.#compacting = (async () => {
        const retired = this.#retired;
        const summed = await AggregatorRegistry.aggregate([...retired]).getMetricsAsJSON();
        // Workers that exited meanwhile were appended after the ones summed.
        this.#retired = [summed, ...this.#retired.slice(retired.length)];
      })().finally(() => {
        this.#compacting = null;
      });
    }
    await this.#compacting;
  }
}
