import { describe, expect, it } from "vitest";
import { layoutDownloadBars, readableCeiling } from "../../ui/src/components/download-bars.ts";

function days(counts: readonly number[]): { day: string; count: number }[] {
  return counts.map((count, index) => ({ day: `2026-01-${String(index + 1).padStart(2, "0")}`, count }));
}

describe("readableCeiling", () => {
  it("rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect([1, 2, 3, 7, 10, 11, 21, 24, 26, 99, 101, 240, 4999].map(readableCeiling)).toEqual([
      1, 2, 5, 10, 10, 20, 25, 25, 50, 100, 200, 250, 5000,
    ]);
  });

  it("is 1 for nothing, zero, negative, fractional or non-finite maxima", () => {
    expect([0, -5, 0.5, Number.NaN, Number.POSITIVE_INFINITY].map(readableCeiling)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("layoutDownloadBars", () => {
  it("gives each day an equal slot, oldest first, in proportion to the scale", () => {
    const layout = layoutDownloadBars(days([0, 5, 10, 2]), 400, 100);
    expect(layout.scaleMax).toBe(10);
    expect(layout.bars.map((bar) => bar.count)).toEqual([0, 5, 10, 2]);
    expect(layout.bars.map((bar) => bar.x)).toEqual([10, 110, 210, 310]);
    expect(layout.bars.every((bar) => bar.width === 80)).toBe(true);
    expect(layout.bars.map((bar) => bar.height)).toEqual([0, 50, 100, 20]);
    expect(layout.bars.map((bar) => bar.y)).toEqual([100, 50, 0, 80]);
    expect(layout.guides).toEqual([
      { count: 5, y: 50 },
      { count: 10, y: 0 },
    ]);
  });

  it("keeps a single install visible among large counts, and draws no bar for zero", () => {
    const layout = layoutDownloadBars(days([100_000, 1, 0]), 300, 100);
    expect(layout.bars[1]?.height).toBe(1);
    expect(layout.bars[2]?.height).toBe(0);
  });

  it("drops the gaps when a year of days is squeezed into the width, never overflowing it", () => {
    const year = days(Array.from({ length: 365 }, (_, index) => index % 7));
    const layout = layoutDownloadBars(year, 720, 180);
    expect(layout.bars).toHaveLength(365);
    const last = layout.bars.at(-1);
    expect((last?.x ?? 0) + (last?.width ?? 0)).toBeLessThanOrEqual(720.01);
    expect(layout.bars.every((bar) => bar.y >= 0 && bar.y + bar.height <= 180.01)).toBe(true);
  });

  it("draws hostile counts (negative, NaN, infinite) as zero, and an empty series as nothing", () => {
    const layout = layoutDownloadBars(days([-3, Number.NaN, Number.POSITIVE_INFINITY, 4]), 400, 100);
    expect(layout.bars.map((bar) => bar.count)).toEqual([0, 0, 0, 4]);
    expect(layout.scaleMax).toBe(5);
    expect(layoutDownloadBars([], 400, 100)).toEqual({
      bars: [],
      scaleMax: 1,
      guides: [{ count: 1, y: 0 }],
    });
  });

  it("puts only whole counts on the guides", () => {
    expect(layoutDownloadBars(days([1]), 10, 10).guides).toEqual([{ count: 1, y: 0 }]);
  });
});
