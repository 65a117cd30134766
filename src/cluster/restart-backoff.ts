export interface RestartBackoffOptions {
  /** Delay before replacing a worker after a stable run. */
  readonly initialMs: number;
  /** The delay doubles with each early exit in a row, up to this. */
  readonly maxMs: number;
  /** A worker that ran at least this long was stable: the next delay starts over. */
  readonly stableMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = {
  initialMs: 100,
  maxMs: 30_000,
  stableMs: 30_000,
};

/**
 * How long to wait before replacing a worker that exited. A worker that crashes at once (a bad
 * database URL, a full disk) would otherwise be forked in a tight loop that keeps the machine
 * busy and floods the log.
 */
export class RestartBackoff {
  readonly #options: RestartBackoffOptions;
  #earlyExits = 0;

  constructor(options: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF) {
    this.#options = options;
  }

  /** The delay before replacing a worker that ran for `lifetimeMs`. */
  next(lifetimeMs: number): number {
    if (lifetimeMs >= this.#options.stableMs) this.#earlyExits = 0;
    const delay = Math.min(this.#options.maxMs, this.#options.initialMs * 2 ** this.#earlyExits);
    this.#earlyExits = Math.min(this.#earlyExits + 1, 30);
    return delay;
  }
}
