import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type { Repository } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";

/** Package sources: git repositories and Composer upstreams, their sync status; syncing one. */
export function RepositoriesScreen(): ReactNode {
  const { api, session } = useSession();
  const repositories = useApiData<{ repositories: Repository[] }>(api, "/api/repositories");
  const maySync = roleAllows(session.user.role, "repositories:sync");
  const [syncing, setSyncing] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ readonly ok: boolean; readonly message: string } | null>(null);

  async function sync(repository: Repository): Promise<void> {
    setSyncing(repository.id);
    setOutcome(null);
    try {
      await api.send("POST", `/api/repositories/${encodeURIComponent(repository.id)}/sync`);
      setOutcome({ ok: true, message: `${repository.name} synced.` });
    } catch (error) {
      setOutcome({ ok: false, message: `${repository.name}: ${asProblem(error).detail}` });
    } finally {
      setSyncing(null);
      repositories.reload();
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>Repositories</h1>
      <p className="lead">
        Add repositories with <code>package-broker repo add</code> or <code>POST /api/repositories</code>.
      </p>
      <section className="panel" aria-labelledby="repository-list-heading">
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
            <div className="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Last sync</th>
                    {maySync ? <th scope="col">Actions</th> : null}
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
                        <span className={`badge badge-${repository.status}`}>{repository.status}</span>
                        {repository.lastError === null ? null : (
                          <p className="hint">{repository.lastError}</p>
                        )}
                      </td>
                      <td>
                        <DateText value={repository.lastSyncedAt} none="never" />
                      </td>
                      {maySync ? (
                        <td>
                          <button
                            type="button"
                            disabled={syncing !== null}
                            onClick={() => void sync(repository)}
                          >
                            {syncing === repository.id ? "Syncing…" : "Sync now"}
                            <span className="visually-hidden"> {repository.name}</span>
                          </button>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </LoadState>
      </section>
    </>
  );
}
