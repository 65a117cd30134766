import type { ReactNode } from "react";
import type { DownloadOverview } from "../api/download-types.ts";
import type { Loaded } from "../api/use-api-data.ts";
import { LoadState } from "../components/load-state.tsx";
import { AppLink } from "../router/app-link.tsx";
import { packagePath } from "../router/package-route.ts";

const SHOWN = 5;

/**
 * The packages installed most in the overview's period (GET /api/downloads `top`, across every
 * package), each with a bar in proportion to the first.
 */
export function TopPackagesPanel(props: {
  readonly loaded: Loaded<DownloadOverview> & { reload: () => void };
}): ReactNode {
  const { loaded } = props;
  const counted = loaded.status === "ready" ? loaded.data : null;
  return (
    <section className="panel" aria-labelledby="top-packages-heading">
      <h2 id="top-packages-heading">Most installed</h2>
      <LoadState
        loaded={loaded}
        what="the most installed packages"
        isEmpty={(counts) => counts.top.length === 0}
        empty={
          counted !== null && counted.total > 0 ? (
            <p>No installs in the last {counted.days} days.</p>
          ) : (
            <p>No installs reported yet.</p>
          )
        }
      >
        {(counts) => {
          const top = counts.top.slice(0, SHOWN);
          const most = Math.max(1, top[0]?.periodTotal ?? 1);
          return (
            <>
              <ol className="top-packages" data-testid="top-packages">
                {top.map((item) => (
                  <li key={item.name}>
                    <AppLink to={packagePath(item.name)} className="package-link">
                      {item.name}
                    </AppLink>
                    <span>
                      {item.periodTotal} {item.periodTotal === 1 ? "install" : "installs"}
                    </span>
                    <svg viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                      <rect className="chart-track" x={0} y={0} width={100} height={8} />
                      <rect
                        className="chart-bar"
                        x={0}
                        y={0}
                        width={Math.max(1, Math.round((item.periodTotal / most) * 100))}
                        height={8}
                      />
                    </svg>
                  </li>
                ))}
              </ol>
              <p className="hint">In the last {counts.days} days.</p>
            </>
          );
        }}
      </LoadState>
    </section>
  );
}
