const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR_OF_WEEKS = 52 * WEEK;

/**
 * The bucket widths a histogram picks from, in seconds: the narrowest that keeps the buckets at or
 * below the number asked for. Beyond 52 weeks, 52 weeks times 2, 5, 10, 20, 50, … up to 20,000
 * (so any range of years 0000 to 9999 fits in any number of buckets).
 */
export const BUCKET_WIDTHS: readonly number[] = [
  1,
  5,
  15,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  WEEK,
  4 * WEEK,
  13 * WEEK,
  YEAR_OF_WEEKS,
];

/**
 * Buckets of whole weeks start on a Monday, counted from the last one before year 0000
 * (-0001-12-27, UTC ms): every instant of the query language is after it, so a wide enough
 * bucket holds any range whole, and one bucket is always possible.
 */
const MONDAY_MS = -62_167_651_200_000;
/** Wider than every range of years 0000 to 9999 (seconds): the ladder ends before it. */
const WIDEST = 20_000 * YEAR_OF_WEEKS;

export interface HistogramLayout {
  /** Seconds per bucket. */
  readonly widthSeconds: number;
  /** Where the first bucket starts (UTC epoch ms): at or before the range's start, on a boundary. */
  readonly firstStartMs: number;
  /** How many buckets cover the range. */
  readonly bucketCount: number;
}

/**
 * The buckets of [fromMs, toMs) (toMs > fromMs) for at most `maxBuckets` (≥ 1): the narrowest width
 * of the ladder whose aligned buckets cover the range in that many or fewer. Widths up to a day
 * are aligned to UTC midnight (each divides a day), widths of whole weeks to a Monday.
 */
export function histogramLayout(fromMs: number, toMs: number, maxBuckets: number): HistogramLayout {
  for (const width of widths()) {
    const layout = aligned(fromMs, toMs, width);
    if (layout.bucketCount <= maxBuckets || width >= WIDEST) return layout;
  }
  throw new Error("unreachable: widths() ends at WIDEST");
}

function* widths(): Generator<number> {
  yield* BUCKET_WIDTHS;
  for (let scale = 1; scale <= 1000; scale *= 10) {
    for (const step of [2, 5, 10]) yield YEAR_OF_WEEKS * step * scale;
  }
  yield WIDEST;
}

function aligned(fromMs: number, toMs: number, widthSeconds: number): HistogramLayout {
  const widthMs = widthSeconds * 1000;
  const origin = widthSeconds % WEEK === 0 ? MONDAY_MS : 0;
  const first = Math.floor((fromMs - origin) / widthMs);
  const end = Math.ceil((toMs - origin) / widthMs);
  return { widthSeconds, firstStartMs: origin + first * widthMs, bucketCount: end - first };
}
