import { describe, expect, it } from "vitest";
import { binLabel, brushedCreated, eventHistogram } from "../../ui/src/audit-histogram/event-histogram.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;

describe("eventHistogram", () => {
  it("counts events per second within a few seconds, aligned to the second", () => {
    const histogram = eventHistogram([
      "2026-03-01T10:00:05.100Z",
      "2026-03-01T10:00:05.900Z",
      "2026-03-01T10:00:08Z",
    ]);
    expect(histogram.width).toBe(1000);
    expect(histogram.bins.map((bin) => bin.count)).toEqual([2, 0, 0, 1]);
    expect(new Date(histogram.bins[0]!.start).toISOString()).toBe("2026-03-01T10:00:05.000Z");
    expect(binLabel(histogram, histogram.bins[3]!)).toBe("2026-03-01 10:00:08 UTC");
  });

  it("counts events per minute when seconds would be too many bins, aligned to the minute", () => {
    const histogram = eventHistogram(
      ["2026-03-01T10:00:05Z", "2026-03-01T10:00:59.999Z", "2026-03-01T10:02:00Z", "2026-03-01T10:03:30Z"],
      4,
    );
    expect(histogram.width).toBe(MINUTE);
    expect(histogram.total).toBe(4);
    expect(histogram.bins.map((bin) => bin.count)).toEqual([2, 0, 1, 1]);
    expect(new Date(histogram.bins[0]!.start).toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(histogram.bins.every((bin) => bin.end - bin.start === MINUTE)).toBe(true);
  });

  it("picks the narrowest width that fits: hours for a few days, whole UTC days, then weeks", () => {
    expect(eventHistogram(["2026-01-01T12:00:00Z", "2026-01-05T12:00:00Z"]).width).toBe(3 * 60 * MINUTE);
    const days = eventHistogram(["2026-01-01T23:59:59Z", "2026-01-20T00:00:00Z"], 24);
    expect(days.width).toBe(DAY);
    expect(days.bins).toHaveLength(20);
    expect(new Date(days.bins[0]!.start).toISOString()).toBe("2026-01-01T00:00:00.000Z");
    const weeks = eventHistogram(["2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"], 48);
    expect(weeks.width).toBe(7 * DAY);
    expect(weeks.bins.length).toBeLessThanOrEqual(48);
    expect(weeks.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(2);
  });

  it("keeps decades within the limit with wider bins", () => {
    const histogram = eventHistogram(["2000-01-01T00:00:00Z", "2026-01-01T00:00:00Z"], 12);
    expect(histogram.bins.length).toBeLessThanOrEqual(12);
    expect(histogram.width % (30 * DAY)).toBe(0);
  });

  it("leaves out timestamps that do not parse, and is empty for none", () => {
    expect(eventHistogram([])).toEqual({ bins: [], width: DAY, total: 0 });
    const histogram = eventHistogram(["not a date", "", "2026-03-01T10:00:00Z"]);
    expect(histogram.total).toBe(1);
    expect(histogram.bins).toHaveLength(1);
  });

  it("treats a hostile bin limit as at least one bin", () => {
    for (const limit of [0, -3, Number.NaN, 0.5]) {
      const histogram = eventHistogram(["2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z"], limit);
      expect(histogram.bins.length).toBeGreaterThanOrEqual(1);
      expect(histogram.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(2);
    }
  });
});

describe("brushedCreated", () => {
  const minutes = eventHistogram(["2026-03-01T10:00:05Z", "2026-03-01T10:04:00Z"], 5);
  const days = eventHistogram(["2026-01-01T12:00:00Z", "2026-01-05T12:00:00Z"], 5);

  it("is a range of times to the millisecond for bins shorter than a day, either order", () => {
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
    expect(brushedCreated(eventHistogram([]), 0, 0)).toBe("");
  });
});

describe("binLabel", () => {
  it("names a bin by its day or its minute in UTC", () => {
    const days = eventHistogram(["2026-01-01T12:00:00Z", "2026-01-05T12:00:00Z"], 5);
    expect(binLabel(days, days.bins[1]!)).toBe("2026-01-02");
    const minutes = eventHistogram(["2026-03-01T10:00:05Z", "2026-03-01T10:04:00Z"], 5);
    expect(binLabel(minutes, minutes.bins[0]!)).toBe("2026-03-01 10:00 UTC");
  });
});
