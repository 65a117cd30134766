import type { Logger } from "../observability/logger.ts";
import { InProcessLocks } from "./in-process-locks.ts";
import type { LockLease, SharedLocks } from "./shared-locks.ts";

export interface SingleFetchOptions {
  /** Shared between the nodes (Redis) or this process's own. */
  readonly locks?: SharedLocks;
  readonly logger?: Logger;
  /** A holder's lease; renewed every third of it while its fetch runs. */
  readonly leaseMs?: number;
  /** How long a node waits for another node's fetch before it fetches itself. */
  readonly waitMs?: number;
  /** How often a waiting node asks for the lock again. */
  readonly pollMs?: number;
}

/**
 * Lets one fetch of a given thing (an upstream document, a dist) run at a time: within this
 * process, concurrent callers share one fetch; across nodes, the holder of a shared lock fetches
 * and stores, and the others wait briefly for it, then read what it stored. It never makes a request
 * depend on the lock store: when the locks fail (Redis down or slow) or the wait runs out, the
 * caller fetches itself. The first lock failure is logged, and so is the first success after it;
 * `uncoordinated` counts fetches that ran without the lock.
 */
export class SingleFetch {
  readonly #locks: SharedLocks;
  readonly #logger: Logger | null;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #pollMs: number;
  readonly #flights = new Map<string, Promise<unknown>>();
  #uncoordinated = 0;
  #failing = false;

  constructor(options: SingleFetchOptions = {}) {
    this.#locks = options.locks ?? new InProcessLocks();
    this.#logger = options.logger ?? null;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 10_000;
    this.#pollMs = options.pollMs ?? 100;
  }

  /** Fetches that ran without the lock since the start (lock store failing, or the wait ran out). */
  get uncoordinated(): number {
    return this.#uncoordinated;
  }

  /**
   * `fetch()` under the lock named `key`, unless `stored()` finds, after waiting for another
   * holder, that it already fetched. Callers in this process with the same key share one run.
   */
  run<T>(key: string, stored: () => Promise<T | null>, fetch: () => Promise<T>): Promise<T> {
    const flying = this.#flights.get(key);
    if (flying !== undefined) return flying as Promise<T>;
    const flight = this.#coordinated(key, stored, fetch).finally(() => this.#flights.delete(key));
    this.#flights.set(key, flight);
    return flight;
  }

  /**
   * `work()` under the lock named `key` when no other holder has it, and nothing when one does (it
   * is doing the same work: a revalidation another node runs). Without the lock store it runs.
   */
  async ifFree(key: string, work: () => Promise<void>): Promise<void> {
    const lease = await this.#tryLock(key);
    if (lease === "unavailable") return work();
    if (lease !== null) await this.#holding(lease, null, work);
  }

  close(): Promise<void> {
    return this.#locks.close();
  }

  async #coordinated<T>(key: string, stored: () => Promise<T | null>, fetch: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#waitMs;
    for (let waited = false; ; waited = true) {
      const lease = await this.#tryLock(key);
      if (lease === "unavailable") return fetch();
      if (lease !== null) return this.#holding(lease, waited ? stored : null, fetch);
      if (Date.now() >= deadline) {
        this.#uncoordinated += 1;
        this.#logger?.info(
          { context: { lock: key, waitMs: this.#waitMs } },
          "Lock wait timed out: fetching here",
        );
        return fetch();
      }
      await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
      // The holder may have finished and released already: what it stored is what we want.
      const found = await stored();
      if (found !== null) return found;
    }
  }

  /** The lock, null when another holds it, or "unavailable" when the lock store failed (logged). */
  async #tryLock(key: string): Promise<LockLease | null | "unavailable"> {
    try {
      const lease = await this.#locks.tryAcquire(key, this.#leaseMs);
      this.#recovered();
      return lease;
    } catch (error) {
      this.#failed(error);
      this.#uncoordinated += 1;
      return "unavailable";
    }
  }

  async #holding<T>(
    lease: LockLease,
    stored: (() => Promise<T | null>) | null,
    fetch: () => Promise<T>,
  ): Promise<T> {
    const renewal = setInterval(() => {
      lease.renew(this.#leaseMs).catch(() => undefined);
    }, this.#leaseMs / 3);
    try {
      const found = stored === null ? null : await stored();
      return found ?? (await fetch());
    } finally {
      clearInterval(renewal);
      await lease.release().catch(() => undefined);
    }
  }

  #failed(error: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#logger?.warn(
      { context: { error: error instanceof Error ? error.message : String(error) } },
      "Shared locks unavailable: upstream fetches are not coordinated between nodes",
    );
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#logger?.info({ context: { uncoordinated: this.#uncoordinated } }, "Shared locks available again");
  }
}
