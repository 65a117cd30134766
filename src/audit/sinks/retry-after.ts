import type { Clock } from "../../clock/clock.ts";

/** A `Retry-After` longer than this is taken as this (a day): the sink's own backoff caps it anyway. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * The wait a `Retry-After` header asks for, in milliseconds (RFC 9110 §10.2.3): either a number of
 * seconds or an HTTP date, read against the injected clock. Undefined when absent or unreadable;
 * a date in the past is 0.
 */
export function retryAfterMs(value: string | null | undefined, clock: Clock): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // Only the date forms: Date.parse would take "5" or "1.5" as dates too.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - clock.now().getTime()), MAX_RETRY_AFTER_MS);
}
