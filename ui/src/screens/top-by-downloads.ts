import type { PackageSummary } from "../api/api-types.ts";

/** The most installed packages first (ties by name), at most `limit`; packages never installed are left out. */
export function topByDownloads(packages: readonly PackageSummary[], limit: number): PackageSummary[] {
  return packages
    .filter((item) => item.downloads > 0)
    .toSorted((a, b) => b.downloads - a.downloads || a.name.localeCompare(b.name))
    .slice(0, Math.max(0, limit));
}
