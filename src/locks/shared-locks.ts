/** A held lock: only its holder can renew or release it, and it expires on its own if never released. */
export interface LockLease {
  readonly name: string;
  /** Extends the lease to `ttlMs` from now; false when it was lost (expired, taken by another). */
  renew(ttlMs: number): Promise<boolean>;
  /** Gives the lock up; false when it was no longer held by this lease. */
  release(): Promise<boolean>;
}

/**
 * Named locks with a time to live, so that a holder that dies never blocks the others for longer
 * than its lease. Adapters: in-process (one node) and Redis (every node sharing PB_REDIS_URL).
 */
export interface SharedLocks {
  /** The lock for `ttlMs`, or null when someone else holds it. Throws when the store does not answer. */
  tryAcquire(name: string, ttlMs: number): Promise<LockLease | null>;
  close(): Promise<void>;
}
