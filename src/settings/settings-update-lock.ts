import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Clock } from "../clock/clock.ts";
import { conflict } from "../errors/domain-error.ts";
import type { JobLeaseRecords } from "../storage/database/job-lease-records.ts";

/** The lease that serialises settings changes across processes and nodes. */
export const SETTINGS_UPDATE_LEASE = "settings.update";
/** Far longer than any update; a holder that dies frees the lease after this. */
const LEASE_MS = 30_000;
/** Tries to take the lease before giving up: about 10 s with the pauses below. */
const ATTEMPTS = 100;
const MAX_PAUSE_MS = 100;

/**
 * One settings change at a time, everywhere: in this process by a queue, across processes (the
 * server, the CLI, other nodes) by a lease in the database. An update reads the old values,
 * writes the new ones and records its event while it holds both, so the events of successive
 * changes form a chain: each one's `before` is the previous one's `after`.
 */
export class SettingsUpdateLock {
  readonly #leases: JobLeaseRecords;
  readonly #clock: Clock;
  readonly #pause: (ms: number) => Promise<void>;
  readonly #holder = `${os.hostname()}:${String(process.pid)}:${randomBytes(4).toString("hex")}`;
  #tail: Promise<void> = Promise.resolve();

  constructor(options: { leases: JobLeaseRecords; clock: Clock; pause?: (ms: number) => Promise<void> }) {
    this.#leases = options.leases;
    this.#clock = options.clock;
    this.#pause = options.pause ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Runs `work` holding the lock; `SettingsBusy` (conflict) when another holder keeps it too long. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let done!: () => void;
    this.#tail = new Promise((resolve) => {
      done = resolve;
    });
    try {
      await previous;
      await this.#acquire();
      try {
        return await work();
      } finally {
        await this.#leases.release(SETTINGS_UPDATE_LEASE, this.#holder, this.#clock.now(), null);
      }
    } finally {
      done();
    }
  }

  async #acquire(): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const now = this.#clock.now();
      const until = new Date(now.getTime() + LEASE_MS);
      if (await this.#leases.acquire(SETTINGS_UPDATE_LEASE, this.#holder, now, until)) return;
      await this.#pause(Math.min(MAX_PAUSE_MS, 5 * 2 ** attempt));
    }
    throw conflict("SettingsBusy", "another settings change is in progress; try again");
  }
}
