import type { RateLimitDecision, RateLimitPolicy } from "./rate-limiter.ts";

/**
 * The Generic Cell Rate Algorithm with whole microseconds, the arithmetic both adapters share
 * (redis-rate-limiter.ts runs the same steps in Lua). A key's state is one number, its
 * theoretical arrival time (TAT). Each request costs an emission interval T = window / limit; a
 * request is allowed when the new TAT is at most limit × T ahead of now. So `limit` requests may
 * come at once, and then one more every T: the budget refills evenly, with no burst at a window
 * boundary as a fixed window would allow.
 *
 * A stored TAT more than the tolerance ahead of now means the clock went back (or another node's
 * clock is ahead): it is taken as the tolerance ahead (the key's budget spent, never more budget),
 * unless it is more than twice the tolerance ahead, which no clock skew between nodes explains:
 * then the clock was set back, and the key starts afresh rather than being refused for as long.
 */
export interface GcraStep {
  readonly decision: RateLimitDecision;
  /** The key's new TAT (µs) when the request was allowed; null when refused (state unchanged). */
  readonly newTatUs: number | null;
}

/** The emission interval in µs (at least 1), and the tolerance: the burst as time. */
export function gcraParameters(policy: RateLimitPolicy): { intervalUs: number; toleranceUs: number } {
  const intervalUs = Math.max(1, Math.floor((policy.windowMs * 1000) / policy.limit));
  return { intervalUs, toleranceUs: intervalUs * policy.limit };
}

export function gcraStep(policy: RateLimitPolicy, storedTatUs: number | null, nowUs: number): GcraStep {
  const { intervalUs, toleranceUs } = gcraParameters(policy);
  const tat = currentTat(storedTatUs, nowUs, toleranceUs);
  const newTat = tat + intervalUs;
  if (newTat - nowUs > toleranceUs) {
    return {
      decision: {
        allowed: false,
        limit: policy.limit,
        remaining: 0,
        resetMs: Math.ceil((tat - nowUs) / 1000),
        retryAfterMs: Math.ceil((newTat - toleranceUs - nowUs) / 1000),
      },
      newTatUs: null,
    };
  }
  return {
    decision: {
      allowed: true,
      limit: policy.limit,
      remaining: Math.floor((toleranceUs - (newTat - nowUs)) / intervalUs),
      resetMs: Math.ceil((newTat - nowUs) / 1000),
      retryAfterMs: 0,
    },
    newTatUs: newTat,
  };
}

function currentTat(storedTatUs: number | null, nowUs: number, toleranceUs: number): number {
  if (storedTatUs === null || storedTatUs <= nowUs) return nowUs;
  if (storedTatUs - nowUs > 2 * toleranceUs) return nowUs;
  return Math.min(storedTatUs, nowUs + toleranceUs);
}
