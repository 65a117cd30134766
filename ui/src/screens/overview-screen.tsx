import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type { AlertPage, AuditVerification, PackagePage, Repository } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { TableScroll } from "../components/table-scroll.tsx";
import { JobsPanel } from "./jobs-panel.tsx";
import { DownloadPanels } from "./download-panels.tsx";
import "./package-screens.css";

/**
 * The overview: packages and versions; downloads over time and the most installed packages; the sync
 * status of every repository; open alerts; the audit log's verification and latest checkpoint;
 * the background jobs. Each part only for a role allowed to read it.
 */
export function OverviewScreen(): ReactNode {
  const { session } = useSession();
  const role = session.user.role;
  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <div className="panels">
        {roleAllows(role, "packages:read") ? <PackagesPanel /> : null}
        {roleAllows(role, "packages:read") ? <DownloadPanels /> : null}
        {roleAllows(role, "audit:read") ? <AuditHealthPanel /> : null}
        {roleAllows(role, "repositories:read") ? <RepositoriesPanel /> : null}
        {roleAllows(role, "audit:read") ? <AlertsPanel /> : null}
        {roleAllows(role, "audit:read") ? <JobsPanel /> : null}
      </div>
    </>
  );
}

function PackagesPanel(): ReactNode {
  const { api } = useSession();
  const loaded = useApiData<PackagePage>(api, "/api/packages?limit=200");
  return (
    <section className="panel" aria-labelledby="packages-heading">
      <h2 id="packages-heading">Packages</h2>
      <LoadState
        loaded={loaded}
        what="packages"
        isEmpty={(page) => page.packages.length === 0}
        empty={<p>No packages yet. Add a repository or upload a package.</p>}
      >
        {(page) => {
          const more = page.next_cursor === null ? "" : "+";
          const versions = page.packages.reduce((sum, item) => sum + item.versionCount, 0);
          return (
            <dl className="stats">
              <div>
                <dt>Packages</dt>
                <dd data-testid="package-count">
                  {page.packages.length}
                  {more}
                </dd>
              </div>
              <div>
                <dt>Versions</dt>
                <dd>
                  {versions}
                  {more}
                </dd>
              </div>
            </dl>
          );
        }}
      </LoadState>
    </section>
  );
}

function RepositoriesPanel(): ReactNode {
  const { api } = useSession();
  const loaded = useApiData<{ repositories: Repository[] }>(api, "/api/repositories");
  return (
    <section className="panel wide" aria-labelledby="repositories-heading">
      <h2 id="repositories-heading">Sync status</h2>
      <LoadState
        loaded={loaded}
        what="repositories"
        isEmpty={(data) => data.repositories.length === 0}
        empty={<p>No repositories yet.</p>}
      >
        {(data) => (
          <TableScroll label="Sync status table">
            <table>
              <caption className="visually-hidden">Repositories and their last sync</caption>
              <thead>
                <tr>
                  <th scope="col">Repository</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sync</th>
                </tr>
              </thead>
              <tbody>
                {data.repositories.map((repository) => (
                  <tr key={repository.id}>
                    <th scope="row">{repository.name}</th>
                    <td>{repository.type}</td>
                    <td>
                      <span className={`badge badge-${repository.status}`}>{repository.status}</span>
                      {repository.lastError === null ? null : <p className="hint">{repository.lastError}</p>}
                    </td>
                    <td>
                      <DateText value={repository.lastSyncedAt} none="never" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </LoadState>
    </section>
  );
}

function AlertsPanel(): ReactNode {
  const { api } = useSession();
  const loaded = useApiData<AlertPage>(api, "/api/alerts?status=open&limit=5");
  return (
    <section className="panel wide" aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">Open alerts</h2>
      <LoadState
        loaded={loaded}
        what="alerts"
        isEmpty={(page) => page.alerts.length === 0}
        empty={<p>No open alerts.</p>}
      >
        {(page) => (
          <ul className="plain-list">
            {page.alerts.map((alert) => (
              <li key={alert.id}>
                <span className={`badge badge-${alert.level}`}>{alert.level}</span> {alert.title}{" "}
                <span className="hint">
                  ({alert.count} {alert.count === 1 ? "event" : "events"}, <DateText value={alert.firedAt} />)
                </span>
              </li>
            ))}
          </ul>
        )}
      </LoadState>
    </section>
  );
}

/** Tree size and root hash of a C2SP checkpoint note (origin, size, root hash, blank line, signatures). */
function checkpointOf(note: string): { readonly size: string; readonly rootHash: string } | null {
  const [, size, rootHash] = note.split("\n");
  return size === undefined || rootHash === undefined || !/^[0-9]+$/.test(size) ? null : { size, rootHash };
}

function AuditHealthPanel(): ReactNode {
  const { api } = useSession();
  const checkpoint = useApiData<string>(api, "/audit/checkpoint", "text");
  const [verifying, setVerifying] = useState(false);
  const verification = useApiData<AuditVerification>(api, verifying ? "/api/audit/verify" : null);
  return (
    <section className="panel" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <LoadState
        loaded={checkpoint}
        what="the latest checkpoint"
        isEmpty={(note) => checkpointOf(note) === null}
        empty={<p>No checkpoint yet.</p>}
      >
        {(note) => {
          const latest = checkpointOf(note);
          return (
            <dl className="stats">
              <div>
                <dt>Latest checkpoint</dt>
                <dd>{latest?.size} events</dd>
              </div>
              <div>
                <dt>Root hash</dt>
                <dd className="hash">
                  <code>{latest?.rootHash.slice(0, 12)}…</code>
                </dd>
              </div>
            </dl>
          );
        }}
      </LoadState>
      {verifying ? (
        <LoadState loaded={verification} what="the verification">
          {(result) =>
            result.ok ? (
              <p>
                <span className="badge badge-ok" data-testid="audit-verified">
                  verified
                </span>{" "}
                all {result.size} events against the signed checkpoints.
              </p>
            ) : (
              <div role="alert">
                <p>
                  <span className="badge badge-error">failed</span> at event {result.firstBadSeq}:{" "}
                  {result.reason}
                </p>
                <p className="hint">{result.detail}</p>
              </div>
            )
          }
        </LoadState>
      ) : (
        <p>
          <button
            type="button"
            onClick={() => {
              setVerifying(true);
            }}
          >
            Verify the whole log
          </button>
        </p>
      )}
    </section>
  );
}
