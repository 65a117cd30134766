import type { Logger } from "../../observability/logger.ts";
import type { AuditTrail } from "../audit-trail.ts";
import type { RawIpVault } from "../privacy/raw-ip-vault.ts";
import type { AuditRetention } from "./audit-retention.ts";

/**
 * Runs the retention purge (and the shredding of expired raw IP keys) on a timer, as the system. Several processes or nodes may run one:
 * the purge's lease lets one of them purge at a time, and the others skip that turn. A purge
 * under legal hold skips quietly; a failure is logged and the next turn tries again.
 */
export class RetentionScheduler {
  readonly #retention: AuditRetention;
  readonly #trail: AuditTrail;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #rawIps: Pick<RawIpVault, "shredAndRecord"> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: {
    retention: AuditRetention;
    trail: AuditTrail;
    logger: Logger;
    intervalMs: number;
    /** Also destroys the expired day keys of raw client addresses on each turn. */
    rawIps?: Pick<RawIpVault, "shredAndRecord">;
  }) {
    this.#retention = options.retention;
    this.#trail = options.trail;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
    this.#rawIps = options.rawIps;
  }

  start(): void {
    if (this.#timer !== undefined || this.#intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.#turn().finally(() => {
        this.#running = undefined;
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a purge in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #turn(): Promise<void> {
    try {
      const report = await this.#retention.purge(this.#trail, "schedule");
      if (report !== null && report.purged > 0) {
        this.#logger.info(
          { context: { purged: report.purged, categories: report.categories } },
          "Audit retention purge",
        );
      }
    } catch (error) {
      this.#logger.error({ error }, "Audit retention purge failed");
    }
    try {
      await this.#rawIps?.shredAndRecord(this.#trail);
    } catch (error) {
      this.#logger.error({ error }, "Raw IP shredding failed");
    }
  }
}
