/** How many requests one key may make: `limit` as a burst, refilled evenly over `windowMs`. */
export interface RateLimitPolicy {
  readonly limit: number;
  readonly windowMs: number;
}

/** The answer to one request counted against a key. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests the key may still make right now (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the key's whole budget is available again. */
  readonly resetMs: number;
  /** Milliseconds until the next request would be allowed; 0 when this one was. */
  readonly retryAfterMs: number;
}

/**
 * Counts requests per key (a token's hash, a client address) and says whether one more is within
 * the policy. Adapters: in-process (one node) and Redis (every node shares the budget).
 */
export interface RateLimiter {
  readonly policy: RateLimitPolicy;
  /** Counts one request for `key`; a refused request is not counted. */
  hit(key: string): Promise<RateLimitDecision>;
  close(): Promise<void>;
}
