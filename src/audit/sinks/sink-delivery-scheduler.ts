import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Clock } from "../../clock/clock.ts";
import type { Logger } from "../../observability/logger.ts";
import type { JobLeaseRecords } from "../../storage/database/job-lease-records.ts";
import type { SinkDispatcher } from "./sink-dispatcher.ts";

/** The lease of sink delivery: one process of one node delivers at a time. */
export const SINK_DELIVERY_JOB = "audit.sinks.delivery";

/**
 * Runs the dispatcher's rounds on a timer, under a database lease so that of several processes
 * or nodes on one database exactly one delivers (in `seq` order); the lease outlives a round by
 * `leaseMs`, so a node that dies hands delivery over once it expires.
 */
export class SinkDeliveryScheduler {
  readonly #dispatcher: SinkDispatcher;
  readonly #leases: JobLeaseRecords;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #leaseMs: number;
  readonly #holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  readonly #stopping = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: {
    dispatcher: SinkDispatcher;
    leases: JobLeaseRecords;
    clock: Clock;
    logger: Logger;
    intervalMs: number;
    /** How long the lease lasts past each round; longer than a round's attempts. */
    leaseMs: number;
  }) {
    this.#dispatcher = options.dispatcher;
    this.#leases = options.leases;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
    this.#leaseMs = options.leaseMs;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.turn().finally(() => {
        this.#running = undefined;
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One round if this process holds (or takes) the lease; what the timer runs. */
  async turn(): Promise<void> {
    try {
      if (!(await this.#renew())) return;
      await this.#dispatcher.deliverDue(this.#stopping.signal, () => this.#renew());
    } catch (error) {
      this.#logger.error({ error }, "Audit sink delivery round failed");
    }
  }

  /** Takes or extends the lease; false when another process holds it. */
  async #renew(): Promise<boolean> {
    const now = this.#clock.now();
    return this.#leases.acquire(
      SINK_DELIVERY_JOB,
      this.#holder,
      now,
      new Date(now.getTime() + this.#leaseMs),
    );
  }

  /** Stops the timer, aborts the attempts in flight, and gives the lease back. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopping.abort();
    await this.#running;
    try {
      await this.#leases.release(SINK_DELIVERY_JOB, this.#holder, this.#clock.now(), null);
    } catch (error) {
      this.#logger.error({ error }, "Releasing the audit sink delivery lease failed");
    }
  }
}
