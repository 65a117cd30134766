import { describe, expect, it } from "vitest";
import type { AuditHistogramResponse } from "../../ui/src/api/audit-histogram-types.ts";
import {
  binLabel,
  brushedCreated,
  histogramFromCounts,
  type EventHistogram,
} from "../../ui/src/audit-histogram/event-histogram.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A server answer of `bucketSeconds` buckets from `first`, with these counts. */
function answer(first: string, bucketSeconds: number, counts: readonly number[]): AuditHistogramResponse {
  const start = Date.parse(first);
  return {
    from: first,
    to: new Date(start + counts.length * bucketSeconds * 1000).toISOString(),
    bucketSeconds,
    total: counts.reduce((sum, count) => sum + count, 0),
    buckets: counts.map((count, index) => ({
      start: new Date(start + index * bucketSeconds * 1000).toISOString(),
      count,
    })),
  };
}

const minutes: EventHistogram = histogramFromCounts(answer("2026-03-01T10:00:00.000Z", 60, [1, 0, 0, 0, 1]));
const days: EventHistogram = histogramFromCounts(answer("2026-01-01T00:00:00.000Z", 86_400, [1, 0, 0, 0, 1]));

describe("histogramFromCounts", () => {
  it("makes a bin of each bucket, ending where the next starts, with the server's total", () => {
    const histogram = histogramFromCounts(answer("2026-03-01T10:00:05.000Z", 1, [2, 0, 0, 1]));
    expect(histogram.width).toBe(1000);
    expect(histogram.total).toBe(3);
    expect(histogram.bins.map((bin) => bin.count)).toEqual([2, 0, 0, 1]);
    expect(histogram.bins.every((bin) => bin.end - bin.start === 1000)).toBe(true);
    expect(new Date(histogram.bins[3]!.start).toISOString()).toBe("2026-03-01T10:00:08.000Z");
    expect(binLabel(histogram, histogram.bins[3]!)).toBe("2026-03-01 10:00:08 UTC");
  });

  it("keeps wide buckets whole: weeks are whole days", () => {
    const weeks = histogramFromCounts(answer("2026-03-02T00:00:00.000Z", 7 * 86_400, [3, 4]));
    expect(weeks.width).toBe(7 * DAY);
    expect(weeks.bins[1]!.start - weeks.bins[0]!.start).toBe(7 * DAY);
    expect(brushedCreated(weeks, 0, 1)).toBe("2026-03-02..2026-03-15");
  });

  it("is empty for an answer without buckets", () => {
    const empty = histogramFromCounts({ from: null, to: null, bucketSeconds: null, total: 0, buckets: [] });
    expect(empty).toEqual({ bins: [], width: DAY, total: 0 });
    expect(brushedCreated(empty, 0, 0)).toBe("");
  });
});

describe("brushedCreated", () => {
  it("is a range of times to the millisecond for bins shorter than a day, either order", () => {
    expect(minutes.width).toBe(MINUTE);
    expect(brushedCreated(minutes, 1, 3)).toBe("2026-03-01T10:01:00.000Z..2026-03-01T10:03:59.999Z");
    expect(brushedCreated(minutes, 3, 1)).toBe(brushedCreated(minutes, 1, 3));
    expect(brushedCreated(minutes, 0, 0)).toBe("2026-03-01T10:00:00.000Z..2026-03-01T10:00:59.999Z");
  });

  it("is a range of whole days for day bins", () => {
    expect(brushedCreated(days, 0, 4)).toBe("2026-01-01..2026-01-05");
    expect(brushedCreated(days, 2, 2)).toBe("2026-01-03..2026-01-03");
  });

  it("is empty for indices outside the bins", () => {
    expect(brushedCreated(days, -1, 2)).toBe("");
    expect(brushedCreated(days, 0, 99)).toBe("");
  });
});

describe("binLabel", () => {
  it("names a bin by its day or its minute in UTC", () => {
    expect(binLabel(days, days.bins[1]!)).toBe("2026-01-02");
    expect(binLabel(minutes, minutes.bins[0]!)).toBe("2026-03-01 10:00 UTC");
  });
});
