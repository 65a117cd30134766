import { requirePermission, type AccessGrant } from "../access/access-grant.ts";
import type { Clock } from "../clock/clock.ts";
import { invalidInput } from "../errors/domain-error.ts";
import type { DailyInstalls } from "../storage/database/install-count-records.ts";
import type { InstallOverviewRecords } from "../storage/database/install-overview-records.ts";
import { DOWNLOAD_DAYS } from "./package-browser.ts";

/** Packages in `top`, at most. */
export const TOP_PACKAGES = 10;

/** Installs across every package the grant may see. */
export interface DownloadSummary {
  readonly days: number;
  /** The first and last UTC day of the series (YYYY-MM-DD); the last is today. */
  readonly from: string;
  readonly to: string;
  /** All time. */
  readonly total: number;
  /** Installs within the series. */
  readonly periodTotal: number;
  /** One entry per UTC day, oldest first, days without installs included (0). */
  readonly daily: readonly DailyInstalls[];
  /** The most installed packages within the series, most first (ties by name); never installed: left out. */
  readonly top: readonly { readonly name: string; readonly periodTotal: number }[];
}

/**
 * Downloads over time across the catalog: installs reported by Composer, summed over the packages
 * the grant's patterns let it see, and the most installed of them. A grant that sees every package
 * is answered by aggregate queries; a limited one by the same queries over the names it may see,
 * chosen by the grant's own matcher (never a pattern turned into SQL), so a package it may not see
 * never adds to a sum.
 */
export class DownloadOverview {
  readonly #records: InstallOverviewRecords;
  readonly #clock: Clock;

  constructor(options: { records: InstallOverviewRecords; clock: Clock }) {
    this.#records = options.records;
    this.#clock = options.clock;
  }

  /** The all-time total and one count per UTC day for the last `days` days, today included. */
  async summary(grant: AccessGrant, options: { readonly days?: number } = {}): Promise<DownloadSummary> {
    requirePermission(grant, "packages:read");
    const days = options.days ?? DOWNLOAD_DAYS.default;
    if (!Number.isInteger(days) || days < 1 || days > DOWNLOAD_DAYS.max) {
      throw invalidInput("InvalidDays", `days must be a whole number from 1 to ${DOWNLOAD_DAYS.max}`, {
        parameter: "days",
      });
    }
    const now = this.#clock.now();
    const to = utcDay(now, 0);
    const from = utcDay(now, days - 1);
    let names: string[] | null = null;
    let total: Promise<number>;
    if (grant.patternsKey === "") {
      total = this.#records.total();
    } else {
      const visible = (await this.#records.packageTotals()).filter((entry) =>
        grant.canSeePackage(entry.name),
      );
      names = visible.map((entry) => entry.name);
      total = Promise.resolve(visible.reduce((sum, entry) => sum + entry.count, 0));
    }
    const [allTime, rows, top] = await Promise.all([
      total,
      this.#records.daily(names, { from, to }),
      this.#records.top(names, { from, to, limit: TOP_PACKAGES }),
    ]);
    const counted = new Map(rows.map((row) => [row.day, row.count]));
    const daily = Array.from({ length: days }, (_, index) => {
      const day = utcDay(now, days - 1 - index);
      return { day, count: counted.get(day) ?? 0 };
    });
    return {
      days,
      from,
      to,
      total: allTime,
      periodTotal: daily.reduce((sum, entry) => sum + entry.count, 0),
      daily,
      top: top.map((entry) => ({ name: entry.name, periodTotal: entry.count })),
    };
  }
}

/** The UTC day `daysBefore` days before `now`, as YYYY-MM-DD. */
function utcDay(now: Date, daysBefore: number): string {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysBefore);
  return new Date(day).toISOString().slice(0, 10);
}
