import type { ReactNode } from "react";
import type { DownloadOverview } from "../api/download-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData, type Loaded } from "../api/use-api-data.ts";
import { DownloadsChart } from "../components/downloads-chart.tsx";
import { LoadState } from "../components/load-state.tsx";
import { TopPackagesPanel } from "./top-packages-panel.tsx";

/** Days of the overview's downloads chart. */
export const OVERVIEW_DAYS = 30;

/**
 * The overview's downloads: installs per day across every package and the most installed
 * packages of the same days, both from one request.
 */
export function DownloadPanels(): ReactNode {
  const { api } = useSession();
  const loaded = useApiData<DownloadOverview>(api, `/api/downloads?days=${String(OVERVIEW_DAYS)}`);
  return (
    <>
      <TopPackagesPanel loaded={loaded} />
      <DownloadsPanel loaded={loaded} />
    </>
  );
}

function DownloadsPanel(props: {
  readonly loaded: Loaded<DownloadOverview> & { reload: () => void };
}): ReactNode {
  return (
    <section className="panel wide" aria-labelledby="overview-downloads-heading">
      <h2 id="overview-downloads-heading">Downloads</h2>
      <LoadState
        loaded={props.loaded}
        what="the downloads"
        isEmpty={(counts) => counts.total === 0}
        empty={<p>No installs reported yet.</p>}
      >
        {(counts) => (
          <>
            <dl className="stats">
              <div>
                <dt>In the last {counts.days} days</dt>
                <dd data-testid="downloads-period-total">{counts.periodTotal}</dd>
              </div>
              <div>
                <dt>All time</dt>
                <dd data-testid="downloads-total">{counts.total}</dd>
              </div>
            </dl>
            <DownloadsChart daily={counts.daily} subject="all packages" />
          </>
        )}
      </LoadState>
    </section>
  );
}
