import { useState, type ReactNode } from "react";
import type { PackageDetails, PackageDownloads } from "../api/package-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DownloadsChart } from "../components/downloads-chart.tsx";
import { LoadState } from "../components/load-state.tsx";

export const DOWNLOAD_RANGES = [30, 90, 365] as const;

/** Installs per day over 30, 90 or 365 days, of every version or of one. */
export function PackageDownloadsPanel({ item }: { readonly item: PackageDetails }): ReactNode {
  const { api } = useSession();
  const [days, setDays] = useState<number>(30);
  const [version, setVersion] = useState("");
  const params = new URLSearchParams({ days: String(days) });
  if (version !== "") params.set("version", version);
  const loaded = useApiData<PackageDownloads>(
    api,
    `/api/packages/${item.name}/downloads?${params.toString()}`,
  );
  return (
    <section className="panel" aria-labelledby="downloads-heading">
      <h2 id="downloads-heading">Downloads</h2>
      <div className="chart-controls">
        <fieldset className="range-choice">
          <legend>Period</legend>
          {DOWNLOAD_RANGES.map((range) => (
            <span className="check" key={range}>
              <input
                type="radio"
                id={`range-${String(range)}`}
                name="downloads-range"
                checked={days === range}
                onChange={() => {
                  setDays(range);
                }}
              />
              <label htmlFor={`range-${String(range)}`}>{range} days</label>
            </span>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="downloads-version">Version</label>
          <select
            id="downloads-version"
            value={version}
            onChange={(event) => {
              setVersion(event.target.value);
            }}
          >
            <option value="">All versions</option>
            {item.versions.map((entry) => (
              <option key={entry.versionNormalized} value={entry.versionNormalized}>
                {entry.version}
              </option>
            ))}
          </select>
        </div>
      </div>
      <LoadState loaded={loaded} what="the downloads">
        {(counts) => (
          <>
            <dl className="stats">
              <div>
                <dt>In these {counts.days} days</dt>
                <dd data-testid="downloads-period-total">{counts.periodTotal}</dd>
              </div>
              <div>
                <dt>All time</dt>
                <dd data-testid="downloads-total">{counts.total}</dd>
              </div>
            </dl>
            <DownloadsChart
              daily={counts.daily}
              subject={`${item.name}, ${counts.version ?? "all versions"}`}
            />
          </>
        )}
      </LoadState>
    </section>
  );
}
