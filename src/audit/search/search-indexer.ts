import type { AuditSearchIndex, SearchIndexStatus } from "../../storage/database/audit-search-index.ts";

/** What the indexer drives. */
export type IndexSteps = Pick<AuditSearchIndex, "status" | "step">;

/**
 * Keeps the audit search index close behind the log: catches up, rests `intervalMs`, again. A
 * turn that fails (the database away for a moment) is reported and the next turn tries again;
 * the index's cursor makes a retry safe.
 */
export class SearchIndexer {
  readonly #index: IndexSteps;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #onCaughtUp: ((status: SearchIndexStatus, indexed: number) => void) | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: {
    index: IndexSteps;
    intervalMs: number;
    onError: (error: unknown) => void;
    /** After a turn that indexed something: where the index is and how many it indexed. */
    onCaughtUp?: (status: SearchIndexStatus, indexed: number) => void;
  }) {
    this.#index = options.index;
    this.#intervalMs = options.intervalMs;
    this.#onError = options.onError;
    this.#onCaughtUp = options.onCaughtUp;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops after the transaction in progress. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
  }

  /** A method, not the field: `stop()` sets it while the loop awaits. */
  #stopped(): boolean {
    return this.#stopping;
  }

  async #run(): Promise<void> {
    while (!this.#stopped()) {
      try {
        const start = await this.#index.status();
        let status = start;
        // One transaction at a time, checking for stop between them.
        while (!this.#stopped() && status.indexedThrough < status.size) status = await this.#index.step();
        const indexed = status.indexedThrough - start.indexedThrough;
        if (indexed > 0) this.#onCaughtUp?.(status, indexed);
      } catch (error) {
        this.#onError(error);
      }
      if (this.#stopped()) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#intervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
