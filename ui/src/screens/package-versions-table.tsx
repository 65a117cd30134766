import type { ReactNode } from "react";
import type { PackageVersion } from "../api/package-types.ts";
import { DateText } from "../components/date-text.tsx";
import { formatBytes } from "../components/format-bytes.ts";
import { TableScroll } from "../components/table-scroll.tsx";

/** Every version of a package, newest first, as the API orders them. */
export function PackageVersionsTable({
  versions,
}: {
  readonly versions: readonly PackageVersion[];
}): ReactNode {
  return (
    <section className="panel" aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      {versions.length === 0 ? (
        <p className="state state-empty">No versions.</p>
      ) : (
        <TableScroll label="Versions table">
          <table className="versions-table">
            <caption className="visually-hidden">Versions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Stability</th>
                <th scope="col">Reference</th>
                <th scope="col">Dist</th>
                <th scope="col">Released</th>
                <th scope="col">Origin</th>
                <th scope="col">Downloads</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((version) => (
                <tr key={version.versionNormalized} data-testid="version-row">
                  <th scope="row">{version.version}</th>
                  <td>
                    <span className={`badge badge-stability-${version.stability.toLowerCase()}`}>
                      {version.stability}
                    </span>
                  </td>
                  <td>
                    <code className="hash-text">{version.reference}</code>
                  </td>
                  <td>
                    {formatBytes(version.dist.size)}
                    <span className="hint hash-label">SHA-256</span>
                    <code className="hash-text">{version.dist.sha256}</code>
                  </td>
                  <td>
                    <DateText value={version.time} />
                  </td>
                  <td>{version.origin}</td>
                  <td>{version.downloads}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
