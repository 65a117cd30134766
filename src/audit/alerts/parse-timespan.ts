const DAY_MS = 86_400_000;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** The longest window or suppression a rule may ask for: state is kept for this long at most. */
export const MAX_TIMESPAN_MS = 30 * DAY_MS;

const TIMESPAN = /^([1-9][0-9]{0,6})([smhd])$/;

/**
 * A Sigma timespan (`30s`, `10m`, `1h`, `7d`) in milliseconds. Returns an error message for
 * anything else: other units (Sigma's `M`/`y` are refused: a month has no fixed length), zero,
 * fractions, or more than 30 days.
 */
export function parseTimespan(value: unknown): number | string {
  if (typeof value !== "string") return "a timespan is a string such as 30s, 10m, 1h or 7d";
  const match = TIMESPAN.exec(value);
  if (match === null) {
    return `invalid timespan ${JSON.stringify(value.slice(0, 40))}: a positive whole number and a unit s, m, h or d (10m, 1h)`;
  }
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
  if (!(ms <= MAX_TIMESPAN_MS)) return `timespan ${value} is longer than the 30 days allowed`;
  return ms;
}
