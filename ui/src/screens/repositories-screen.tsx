import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type { Repository, SyncRun } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { usePolling } from "../api/use-polling.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";
import { RepositoryDetailPanel } from "./repository-detail-panel.tsx";
import { RepositoryForm } from "./repository-form.tsx";
import { TableScroll } from "../components/table-scroll.tsx";
import { SyncProgressView } from "./sync-progress-view.tsx";

/**
 * Package sources: git repositories and Composer upstreams, their sync status; syncing one; one
 * repository's details and sync history; adding, changing and removing for the roles that may.
 */
export function RepositoriesScreen(): ReactNode {
  const { api, session } = useSession();
  const repositories = useApiData<{ repositories: Repository[] }>(api, "/api/repositories");
  const maySync = roleAllows(session.user.role, "repositories:sync");
  const mayWrite = roleAllows(session.user.role, "repositories:write");
  const [syncing, setSyncing] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ readonly ok: boolean; readonly message: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  /** Counts syncs and changes, so that the open repository's panel loads again after one. */
  const [revision, setRevision] = useState(0);
  // The sync started here, followed while its request runs (the answer comes when it ended).
  const latest = useApiData<{ syncs: SyncRun[] }>(
    api,
    syncing === null ? null : `/api/repositories/${encodeURIComponent(syncing)}/syncs?limit=1`,
  );
  usePolling(syncing !== null, latest.reload);
  const latestRun = latest.status === "ready" ? latest.data.syncs[0] : undefined;
  const progress = latestRun?.status === "running" ? latestRun.progress : null;

  async function sync(repository: Repository): Promise<void> {
    setSyncing(repository.id);
    setOutcome(null);
    try {
      await api.send("POST", `/api/repositories/${encodeURIComponent(repository.id)}/sync`);
      setOutcome({ ok: true, message: `${repository.name} synced.` });
    } catch (error) {
      const problem = asProblem(error);
      // A sync that ran and failed answers 502 with its run, whose `error` says why.
      const runError = problem.extensions.error;
      setOutcome({
        ok: false,
        message:
          typeof runError === "string"
            ? `${repository.name}: the sync failed: ${runError}`
            : `${repository.name}: ${problem.detail} (${problem.code})`,
      });
    } finally {
      setSyncing(null);
      setRevision((current) => current + 1);
      repositories.reload();
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>Repositories</h1>
      <p className="lead">
        {mayWrite
          ? "Where packages come from: git repositories and Composer upstreams."
          : "Where packages come from. Admins and maintainers add and change them."}
      </p>
      <div className="panels">
        <section className="panel wide" aria-labelledby="repository-list-heading">
          <h2 id="repository-list-heading">Sources</h2>
          <FormError message={outcome !== null && !outcome.ok ? outcome.message : undefined} />
          <p role="status" className="hint">
            {outcome?.ok === true ? outcome.message : ""}
          </p>
          <LoadState
            loaded={repositories}
            what="repositories"
            isEmpty={(data) => data.repositories.length === 0}
            empty={<p>No repositories yet.</p>}
          >
            {(data) => (
              <TableScroll label="Sources table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Type</th>
                      <th scope="col">Status</th>
                      <th scope="col">Last sync</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.repositories.map((repository) => (
                      <tr key={repository.id}>
                        <th scope="row">
                          {repository.name}
                          <p className="hint break">{repository.url}</p>
                        </th>
                        <td>{repository.type}</td>
                        <td>
                          {syncing === repository.id ? (
                            <>
                              <span className="badge badge-medium">syncing</span>
                              <SyncProgressView
                                progress={progress}
                                label={`Progress of the sync of ${repository.name}`}
                              />
                            </>
                          ) : (
                            <>
                              <span className={`badge badge-${repository.status}`}>{repository.status}</span>
                              {repository.lastError === null ? null : (
                                <p className="hint">{repository.lastError}</p>
                              )}
                            </>
                          )}
                        </td>
                        <td>
                          <DateText value={repository.lastSyncedAt} none="never" />
                        </td>
                        <td>
                          <div className="actions">
                            <button
                              type="button"
                              aria-pressed={selected === repository.id}
                              onClick={() => {
                                setSelected(repository.id);
                              }}
                            >
                              Details<span className="visually-hidden"> of {repository.name}</span>
                            </button>
                            {maySync &&
                            (repository.type !== "composer" || repository.eagerPackages.length > 0) ? (
                              <button
                                type="button"
                                disabled={syncing !== null}
                                onClick={() => void sync(repository)}
                              >
                                {syncing === repository.id ? "Syncing…" : "Sync now"}
                                <span className="visually-hidden"> {repository.name}</span>
                              </button>
                            ) : null}
                          </div>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </LoadState>
        </section>
        {selected === null ? null : (
          <RepositoryDetailPanel
            key={`${selected}:${revision}`}
            repositoryId={selected}
            syncing={syncing === selected}
            onChanged={(changed) => {
              setOutcome({ ok: true, message: `${changed.name} changed.` });
              repositories.reload();
            }}
            onRemoved={(message) => {
              setOutcome({ ok: true, message });
              setSelected(null);
              repositories.reload();
            }}
            onClose={() => {
              setSelected(null);
            }}
          />
        )}
        {mayWrite ? (
          <section className="panel">
            <RepositoryForm
              repository={null}
              onSaved={(added) => {
                setOutcome({ ok: true, message: `${added.name} added. Sync it to read its versions.` });
                setSelected(added.id);
                repositories.reload();
              }}
            />
          </section>
        ) : null}
      </div>
    </>
  );
}
