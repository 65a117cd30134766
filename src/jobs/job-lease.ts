import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Clock } from "../clock/clock.ts";
import type { JobLeaseRecords } from "../storage/database/job-lease-records.ts";

/** This process's name in leases and job history: host, pid, and a random part (pids repeat). */
export function leaseHolderName(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/**
 * One process's handle on a named background job's database lease: of several processes or nodes
 * on one database, only the one holding the lease runs the job; a holder that dies loses it when it
 * expires (`leaseMs` after its last renewal). Also writes the job's history.
 */
export class JobLease {
  readonly name: string;
  readonly holder = leaseHolderName();
  readonly #leases: JobLeaseRecords;
  readonly #clock: Clock;
  readonly #leaseMs: number;

  constructor(options: { name: string; leases: JobLeaseRecords; clock: Clock; leaseMs: number }) {
    this.name = options.name;
    this.#leases = options.leases;
    this.#clock = options.clock;
    this.#leaseMs = options.leaseMs;
  }

  /** Takes or extends the lease; false when another process holds it. */
  hold(): Promise<boolean> {
    const now = this.#clock.now();
    return this.#leases.acquire(this.name, this.holder, now, new Date(now.getTime() + this.#leaseMs));
  }

  /** Records a round that started at `startedAt` and ends now: what it did, or its error. */
  async record(startedAt: Date, result: { summary: Readonly<Record<string, unknown>> } | { error: unknown }) {
    const error = "error" in result ? errorMessage(result.error) : null;
    await this.#leases.recordRun(this.name, this.holder, {
      startedAt,
      finishedAt: this.#clock.now(),
      summary: "summary" in result ? result.summary : {},
      error,
    });
  }

  /** Gives the lease back (nothing when another process holds it). */
  async release(error: string | null = null): Promise<void> {
    await this.#leases.release(this.name, this.holder, this.#clock.now(), error);
  }
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 2000);
}
