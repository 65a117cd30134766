import type { DailyCount } from "./package-types.ts";

/** A package among the most installed of a period. */
export interface TopPackage {
  readonly name: string;
  readonly periodTotal: number;
}

/** GET /api/downloads: installs per UTC day across every package the caller may see, oldest first. */
export interface DownloadOverview {
  readonly days: number;
  readonly from: string;
  readonly to: string;
  /** All time. */
  readonly total: number;
  readonly periodTotal: number;
  readonly daily: readonly DailyCount[];
  /** At most 10, most installed first (ties by name). */
  readonly top: readonly TopPackage[];
}
