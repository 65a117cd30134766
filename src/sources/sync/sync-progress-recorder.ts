import type { SyncProgress, SyncProgressListener } from "./sync-progress.ts";

/** How often a running sync's progress is written at most (a sync reports at every ref). */
export const SYNC_PROGRESS_INTERVAL_MS = 500;

/**
 * Writes a running sync's progress where every node can read it (the run's row), at most once
 * per `intervalMs` and one write at a time, always ending with the latest report: a sync of
 * thousands of refs reports thousands of times and must not wait for, or be slowed by, as many
 * writes. Progress is a courtesy: a failed write is dropped (the next one may succeed) and never
 * fails the sync; `settle()` waits for the write in flight so that none lands after the run ends.
 */
export class SyncProgressRecorder {
  readonly #write: (progress: SyncProgress) => Promise<void>;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #latest: SyncProgress | null = null;
  #writing: Promise<void> | null = null;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | null = null;
  #settled = false;

  constructor(options: {
    readonly write: (progress: SyncProgress) => Promise<void>;
    readonly intervalMs?: number;
    readonly now?: () => number;
  }) {
    this.#write = options.write;
    this.#intervalMs = options.intervalMs ?? SYNC_PROGRESS_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The listener to hand to a sync; `forward` also hears every report (the CLI's progress bar). */
  listener(forward?: SyncProgressListener): SyncProgressListener {
    return (progress) => {
      forward?.(progress);
      this.#report(progress);
    };
  }

  /** Stops writing and waits for the write in flight. */
  async settle(): Promise<void> {
    this.#settled = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#writing;
  }

  #report(progress: SyncProgress): void {
    if (this.#settled || progress.phase === "done") return;
    this.#latest = progress;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#settled || this.#writing !== null || this.#timer !== null || this.#latest === null) return;
    const wait = this.#lastWriteAt + this.#intervalMs - this.#now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#schedule();
      }, wait);
      this.#timer.unref();
      return;
    }
    this.#flush();
  }

  #flush(): void {
    if (this.#settled || this.#latest === null) return;
    const progress = this.#latest;
    this.#latest = null;
    this.#lastWriteAt = this.#now();
    this.#writing = this.#write(progress)
      .catch(() => undefined)
      .finally(() => {
        this.#writing = null;
        this.#schedule();
      });
  }
}
