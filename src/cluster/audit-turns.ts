interface Waiting {
  readonly owner: object;
  readonly grant: () => void;
}

/**
 * Turns at committing to the audit log, handed out by the primary of `serve` to its workers (and
 * to itself), one at a time, first come first served. SQLite has one writer at a time anyway;
 * what the turns change is where the waiting happens. A worker waiting for SQLite's lock waits
 * inside better-sqlite3, and its whole event loop stops (the busy handler sleeps 1, 2, 5, 10 ms
 * ...). A worker waiting for its turn keeps answering requests, and its next batch grows.
 * The database transaction still guards seq: a process that does not take turns (a CLI command)
 * only waits for the lock as before.
 */
export class AuditTurns {
  readonly #waiting: Waiting[] = [];
  #holder: object | null = null;

  /** `grant` is called when it is `owner`'s turn, which lasts until `release(owner)`. */
  request(owner: object, grant: () => void): void {
    this.#waiting.push({ owner, grant });
    this.#next();
  }

  /** Ends `owner`'s turn; nothing when it does not hold it. */
  release(owner: object): void {
    if (this.#holder !== owner) return;
    this.#holder = null;
    this.#next();
  }

  /** `owner` is gone (a worker exited): its turn ends, its requests are dropped. */
  forget(owner: object): void {
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      if (this.#waiting[i]?.owner === owner) this.#waiting.splice(i, 1);
    }
    this.release(owner);
  }

  /** Runs `commit` in a turn of this process (the primary's own events). */
  async exclusive<T>(commit: () => Promise<T>): Promise<T> {
    const owner = {};
    await new Promise<void>((resolve) => {
      this.request(owner, resolve);
    });
    try {
      return await commit();
    } finally {
      this.release(owner);
    }
  }

  #next(): void {
    if (this.#holder !== null) return;
    const next = this.#waiting.shift();
    if (next === undefined) return;
    this.#holder = next.owner;
    next.grant();
  }
}
