import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { JobLeaseRecords } from "../storage/database/job-lease-records.ts";

/** One round of a leased job; `stillMine` renews the lease and says whether to go on. */
export type LeasedRound = (signal: AbortSignal, stillMine: () => Promise<boolean>) => Promise<void>;

/**
 * Runs a job's rounds on a timer, under a database lease, so that of several processes or nodes
 * on one database exactly one runs it (audit sink delivery, alert evaluation). The lease outlives
 * each renewal by `leaseMs`, so a node that dies hands the job over once it expires; a round
 * renews it as it goes (`stillMine`) and stops when another process took it.
 */
export class LeasedJob {
  readonly #name: string;
  readonly #round: LeasedRound;
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
    /** The lease's name, e.g. `audit.sinks.delivery`. */
    name: string;
    round: LeasedRound;
    leases: JobLeaseRecords;
    clock: Clock;
    logger: Logger;
    intervalMs: number;
    /** How long the lease lasts past each renewal: longer than the longest step of a round. */
    leaseMs: number;
  }) {
    this.#name = options.name;
    this.#round = options.round;
    this.#leases = options.leases;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
    this.#leaseMs = options.leaseMs;
  }

  /** Starts the timer; an interval of 0 means the job never runs on a timer. */
  start(): void {
    if (this.#timer !== undefined || this.#intervalMs <= 0) return;
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
      await this.#round(this.#stopping.signal, () => this.#renew());
    } catch (error) {
      this.#logger.error({ error, context: { job: this.#name } }, "Background job round failed");
    }
  }

  /** Stops the timer, aborts the round in flight, and gives the lease back. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopping.abort();
    await this.#running;
    try {
      await this.#leases.release(this.#name, this.#holder, this.#clock.now(), null);
    } catch (error) {
      this.#logger.error({ error, context: { job: this.#name } }, "Releasing a job lease failed");
    }
  }

  /** Takes or extends the lease; false when another process holds it. */
  async #renew(): Promise<boolean> {
    const now = this.#clock.now();
    return this.#leases.acquire(this.#name, this.#holder, now, new Date(now.getTime() + this.#leaseMs));
  }
}
