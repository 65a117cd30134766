import type { ReactNode } from "react";
import type { PackageDetails } from "../api/package-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { AppLink } from "../router/app-link.tsx";
import { packageNameOf } from "../router/package-route.ts";
import { useLocation } from "../router/use-location.ts";
import { PackageDependencies } from "./package-dependencies.tsx";
import { PackageDownloadsPanel } from "./package-downloads-panel.tsx";
import { PackageInstallPanel } from "./package-install-panel.tsx";
import { PackageReadmePanel } from "./package-readme-panel.tsx";
import { PackageVersionsTable } from "./package-versions-table.tsx";
import "./package-screens.css";

/** One package (`/ui/packages/{vendor}/{name}`): what it is, how to install it, downloads, versions, README, dependencies. */
export function PackageScreen(): ReactNode {
  const { api } = useSession();
  const name = packageNameOf(useLocation().pathname) ?? "";
  const [vendor = "", project = ""] = name.split("/");
  const loaded = useApiData<PackageDetails>(
    api,
    `/api/packages/${encodeURIComponent(vendor)}/${encodeURIComponent(project)}`,
  );
  return (
    <>
      <p className="breadcrumb">
        <AppLink to="/ui/packages">Packages</AppLink>
      </p>
      <h1 tabIndex={-1}>{name}</h1>
      <LoadState loaded={loaded} what="the package">
        {(item) => (
          <>
            <section className="panel" aria-labelledby="about-heading">
              <h2 id="about-heading">About</h2>
              {item.description === null ? null : <p>{item.description}</p>}
              <dl className="details">
                <div>
                  <dt>Latest stable</dt>
                  <dd>{item.latestVersion ?? "none"}</dd>
                </div>
                <div>
                  <dt>Type</dt>
                  <dd>{item.latest.type ?? "library"}</dd>
                </div>
                <div>
                  <dt>License</dt>
                  <dd>{item.latest.license.length === 0 ? "—" : item.latest.license.join(", ")}</dd>
                </div>
                {item.latest.homepage === null || !/^https?:\/\//i.test(item.latest.homepage) ? null : (
                  <div>
                    <dt>Homepage</dt>
                    <dd>
                      <a href={item.latest.homepage} rel="noreferrer noopener">
                        {item.latest.homepage}
                      </a>
                    </dd>
                  </div>
                )}
                {item.latest.keywords.length === 0 ? null : (
                  <div>
                    <dt>Keywords</dt>
                    <dd>{item.latest.keywords.join(", ")}</dd>
                  </div>
                )}
                <div>
                  <dt>Origin</dt>
                  <dd>{item.origin === "upload" ? "uploaded" : "git repository"}</dd>
                </div>
                <div>
                  <dt>Downloads</dt>
                  <dd>{item.downloads}</dd>
                </div>
                <div>
                  <dt>Updated</dt>
                  <dd>
                    <DateText value={item.updatedAt} />
                  </dd>
                </div>
              </dl>
            </section>
            <div className="two-columns">
              <PackageInstallPanel item={item} />
              <PackageDownloadsPanel item={item} />
            </div>
            <PackageVersionsTable versions={item.versions} />
            <PackageReadmePanel item={item} />
            <PackageDependencies item={item} />
          </>
        )}
      </LoadState>
    </>
  );
}
