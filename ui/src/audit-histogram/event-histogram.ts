const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bin widths the histogram picks from, the narrowest that keeps the bins at `maxBins` or fewer. */
const WIDTHS = [
  SECOND,
  5 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
  30 * DAY,
];

export interface HistogramBin {
  /** First millisecond of the bin (UTC epoch milliseconds). */
  readonly start: number;
  /** First millisecond after the bin. */
  readonly end: number;
  readonly count: number;
}

export interface EventHistogram {
  readonly bins: readonly HistogramBin[];
  /** Milliseconds per bin; a multiple of a day when the bins are whole UTC days. */
  readonly width: number;
  readonly total: number;
}

/**
 * Counts events per interval, oldest bin first: bins of the narrowest width from the ladder (one
 * second up to thirty days) that keeps their number at or below `maxBins`, aligned to UTC (a day's
 * bin starts at midnight UTC). Timestamps that do not parse are left out.
 */
export function eventHistogram(timestamps: readonly string[], maxBins = 48): EventHistogram {
  const times = timestamps.map((value) => Date.parse(value)).filter((time) => Number.isFinite(time));
  if (times.length === 0) return { bins: [], width: DAY, total: 0 };
  const oldest = times.reduce((low, time) => Math.min(low, time));
  const newest = times.reduce((high, time) => Math.max(high, time));
  const limit = Math.max(1, Math.floor(maxBins));
  const binsAt = (width: number): number => Math.floor(newest / width) - Math.floor(oldest / width) + 1;
  let width = WIDTHS.find((candidate) => binsAt(candidate) <= limit) ?? 30 * DAY;
  while (binsAt(width) > limit) width += 30 * DAY;
  const first = Math.floor(oldest / width) * width;
  const counts = Array.from({ length: binsAt(width) }, () => 0);
  for (const time of times) {
    const index = Math.floor((time - first) / width);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return {
    bins: counts.map((count, index) => ({
      start: first + index * width,
      end: first + (index + 1) * width,
      count,
    })),
    width,
    total: times.length,
  };
}

/**
 * The `created:` value for the bins `from` to `to` (either order, both included): whole UTC days
 * (`2026-01-01..2026-01-03`) when the bins are days, else times to the millisecond, the end being
 * the last millisecond of the last bin. "" when an index is outside the bins.
 */
export function brushedCreated(histogram: EventHistogram, from: number, to: number): string {
  const low = histogram.bins[Math.min(from, to)];
  const high = histogram.bins[Math.max(from, to)];
  if (low === undefined || high === undefined) return "";
  if (histogram.width % DAY === 0) return `${dayOf(low.start)}..${dayOf(high.end - 1)}`;
  return `${new Date(low.start).toISOString()}..${new Date(high.end - 1).toISOString()}`;
}

/** A bin's start as text (UTC): to the day for day bins, to the minute for minute bins, else to the second. */
export function binLabel(histogram: EventHistogram, bin: HistogramBin): string {
  if (histogram.width % DAY === 0) return dayOf(bin.start);
  const digits = histogram.width % MINUTE === 0 ? 16 : 19;
  return `${new Date(bin.start).toISOString().slice(0, digits).replace("T", " ")} UTC`;
}

function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
