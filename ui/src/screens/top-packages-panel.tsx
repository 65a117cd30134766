import type { ReactNode } from "react";
import type { PackagePage } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { LoadState } from "../components/load-state.tsx";
import { AppLink } from "../router/app-link.tsx";
import { packagePath } from "../router/package-route.ts";
import { topByDownloads } from "./top-by-downloads.ts";

const SHOWN = 5;

/**
 * The most installed packages, all time, each with a bar in proportion to the first. Read from one
 * page of the package list (200, the API's largest): with more packages, among those 200.
 */
export function TopPackagesPanel(): ReactNode {
  const { api } = useSession();
  const loaded = useApiData<PackagePage>(api, "/api/packages?limit=200");
  return (
    <section className="panel" aria-labelledby="top-packages-heading">
      <h2 id="top-packages-heading">Most installed</h2>
      <LoadState
        loaded={loaded}
        what="packages"
        isEmpty={(page) => topByDownloads(page.packages, SHOWN).length === 0}
        empty={<p>No installs reported yet.</p>}
      >
        {(page) => {
          const top = topByDownloads(page.packages, SHOWN);
          const most = top[0]?.downloads ?? 1;
          return (
            <>
              <ol className="top-packages" data-testid="top-packages">
                {top.map((item) => (
                  <li key={item.name}>
                    <AppLink to={packagePath(item.name)} className="package-link">
                      {item.name}
                    </AppLink>
                    <span>
                      {item.downloads} {item.downloads === 1 ? "install" : "installs"}
                    </span>
                    <svg viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                      <rect className="chart-track" x={0} y={0} width={100} height={8} />
                      <rect
                        className="chart-bar"
                        x={0}
                        y={0}
                        width={Math.max(1, Math.round((item.downloads / most) * 100))}
                        height={8}
                      />
                    </svg>
                  </li>
                ))}
              </ol>
              {page.next_cursor === null ? null : (
                <p className="hint">Among the first {page.packages.length} packages by name.</p>
              )}
            </>
          );
        }}
      </LoadState>
    </section>
  );
}
