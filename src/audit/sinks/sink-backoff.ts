/** The first retry waits about this long. */
export const BACKOFF_BASE_MS = 1_000;
/** No retry waits longer than this (the receiver may still ask for longer with Retry-After). */
export const BACKOFF_CAP_MS = 10 * 60 * 1_000;
/** A Retry-After longer than this is taken as this: a receiver cannot stop a sink for days. */
export const RETRY_AFTER_CAP_MS = 60 * 60 * 1_000;

/**
 * How long to wait before attempt `failures + 1`, after `failures` failed attempts in a row:
 * exponential (1 s, 2 s, 4 s ... capped at 10 minutes) with "equal jitter": half the step is
 * fixed and half is random, so a fleet of brokers does not retry in lock step and no wait
 * collapses to zero. A receiver's Retry-After, when given, is honoured instead (capped at an hour).
 */
export function retryDelayMs(failures: number, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, RETRY_AFTER_CAP_MS);
  }
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}
