/** One day's bar of a downloads chart, in the chart's own units (its viewBox). */
export interface DownloadBar {
  readonly day: string;
  readonly count: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface DownloadBarLayout {
  readonly bars: readonly DownloadBar[];
  /** The value at the top of the scale: the highest count rounded up to a readable number (at least 1). */
  readonly scaleMax: number;
  /** The counts of the horizontal guide lines, 0 excluded, with their heights. */
  readonly guides: readonly { readonly count: number; readonly y: number }[];
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (at least 1). */
export function readableCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * power;
    if (candidate >= value && Number.isInteger(candidate)) return candidate;
  }
  return 10 * power;
}

/**
 * Lays out a bar per day (oldest first) across `width` × `height` units: each day gets an equal
 * slot with a gap of a fifth of it (none when slots are narrower than 2 units), and a day with
 * installs is at least one unit tall so it shows. Negative or non-finite counts are drawn as zero.
 */
export function layoutDownloadBars(
  daily: readonly { readonly day: string; readonly count: number }[],
  width: number,
  height: number,
): DownloadBarLayout {
  const counts = daily.map((entry) => (Number.isFinite(entry.count) && entry.count > 0 ? entry.count : 0));
  const scaleMax = readableCeiling(Math.max(0, ...counts));
  const slot = daily.length === 0 ? width : width / daily.length;
  const gap = slot >= 2 ? slot / 5 : 0;
  const bars = daily.map((entry, index) => {
    const count = counts[index] ?? 0;
    const tall = count === 0 ? 0 : Math.max(1, (count / scaleMax) * height);
    return {
      day: entry.day,
      count,
      x: round(index * slot + gap / 2),
      y: round(height - tall),
      width: round(slot - gap),
      height: round(tall),
    };
  });
  const guides = [0.5, 1]
    .map((share) => ({ count: scaleMax * share, y: round(height - share * height) }))
    .filter((guide) => Number.isInteger(guide.count));
  return { bars, scaleMax, guides };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
