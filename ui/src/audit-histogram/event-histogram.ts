import type { AuditHistogramResponse } from "../api/audit-histogram-types.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

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
 * The server's counts (`GET /api/audit/histogram`) as bins, oldest first: each bin ends where the
 * next begins. Empty when the answer has no buckets (nothing matched).
 */
export function histogramFromCounts(answer: AuditHistogramResponse): EventHistogram {
  const width = answer.bucketSeconds === null ? DAY : answer.bucketSeconds * SECOND;
  const bins = answer.buckets.map((bucket) => {
    const start = Date.parse(bucket.start);
    return { start, end: start + width, count: bucket.count };
  });
  return { bins, width, total: answer.total };
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
