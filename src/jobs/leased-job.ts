import type { Clock } from "../clock/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import { JobLease } from "./job-lease.ts";

/**
 * One round of a leased job; `stillMine` renews the lease and says whether to go on. It answers
 * what it did (counts, kept in the job's history), or null when there was nothing to do (an idle
 * round is not recorded).
 */
export type LeasedRound = (
  signal: AbortSignal,
  stillMine: () => Promise<boolean>,
) => Promise<Readonly<Record<string, unknown>> | null>;

/**
 * Runs a job's rounds on a timer, under a database lease, so that of several processes or nodes
 * on one database exactly one runs it (audit sink delivery, alert evaluation). The lease outlives
 * each renewal by `leaseMs`, so a node that dies hands the job over once it expires; a round
 * renews it as it goes (`stillMine`) and stops when another process took it. Rounds that did
 * something or failed are recorded in the job's history.
 */
export class LeasedJob {
  readonly #round: LeasedRound;
  readonly #lease: JobLease;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
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
    this.#round = options.round;
    this.#lease = new JobLease({
      name: options.name,
      leases: options.leases,
      clock: options.clock,
      leaseMs: options.leaseMs,
    });
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
  }

  /** The lease, for work outside the rounds that must run only where the rounds run. */
  get lease(): JobLease {
    return this.#lease;
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
    const context = { job: this.#lease.name };
    let startedAt: Date;
    try {
      if (!(await this.#lease.hold())) return;
      startedAt = this.#clock.now();
    } catch (error) {
      this.#logger.error({ error, context }, "Taking a job lease failed");
      return;
    }
    try {
      const summary = await this.#round(this.#stopping.signal, () => this.#lease.hold());
      if (summary !== null) await this.#lease.record(startedAt, { summary });
    } catch (error) {
      this.#logger.error({ error, context }, "Background job round failed");
      await this.#lease.record(startedAt, { error }).catch((recording: unknown) => {
        this.#logger.error({ error: recording, context }, "Recording a job run failed");
      });
    }
  }

  /** Stops the timer, aborts the round in flight, and gives the lease back. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopping.abort();
    await this.#running;
    try {
      await this.#lease.release();
    } catch (error) {
      this.#logger.error({ error, context: { job: this.#lease.name } }, "Releasing a job lease failed");
    }
  }
}
