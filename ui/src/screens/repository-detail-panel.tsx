import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type {
  IntegrityConflict,
  NameConflict,
  Repository,
  RepositoryDetail,
  SyncRun,
} from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { usePolling } from "../api/use-polling.ts";
import { ConfirmAction } from "../components/confirm-action.tsx";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { RepositoryForm } from "./repository-form.tsx";
import { SyncHistory } from "./sync-history.tsx";
import { IntegrityConflicts, NameConflicts, UpstreamHealth } from "./upstream-health.tsx";

/**
 * One repository: its settings, a composer upstream's health and integrity conflicts, the sync
 * history with each run's errors; changing and removing it for the roles that may.
 */
export function RepositoryDetailPanel({
  repositoryId,
  syncing,
  onChanged,
  onRemoved,
  onClose,
}: {
  readonly repositoryId: string;
  /** A sync of it was started on this screen and has not answered yet. */
  readonly syncing: boolean;
  readonly onChanged: (repository: Repository) => void;
  readonly onRemoved: (message: string) => void;
  readonly onClose: () => void;
}): ReactNode {
  const { api, session } = useSession();
  const base = `/api/repositories/${encodeURIComponent(repositoryId)}`;
  const detail = useApiData<RepositoryDetail>(api, base);
  const syncs = useApiData<{ syncs: SyncRun[] }>(api, `${base}/syncs`);
  // A sync running here, elsewhere or from the command line: followed until it ended.
  const running = syncs.status === "ready" && syncs.data.syncs[0]?.status === "running";
  usePolling(syncing || running, syncs.reload);
  const composer = detail.status === "ready" && detail.data.type === "composer";
  const conflicts = useApiData<{ conflicts: IntegrityConflict[] }>(
    api,
    composer ? `${base}/integrity-conflicts` : null,
  );
  const names = useApiData<{ conflicts: NameConflict[] }>(api, composer ? `${base}/name-conflicts` : null);
  const mayWrite = roleAllows(session.user.role, "repositories:write");
  const [editing, setEditing] = useState(false);

  return (
    <section className="panel wide" aria-labelledby="repository-detail-heading">
      <LoadState loaded={detail} what="the repository">
        {(repository) => (
          <>
            <h2 id="repository-detail-heading">{repository.name}</h2>
            <dl className="details compact">
              <div>
                <dt>Type</dt>
                <dd>{repository.type}</dd>
              </div>
              <div>
                <dt>URL</dt>
                <dd>{repository.url}</dd>
              </div>
              <div>
                <dt>Credentials</dt>
                <dd>{repository.hasCredentials ? "stored (never shown)" : "none"}</dd>
              </div>
              {repository.type === "git" ? (
                <div>
                  <dt>Default branch</dt>
                  <dd>{repository.defaultBranch ?? "not synced yet"}</dd>
                </div>
              ) : (
                <>
                  <div>
                    <dt>Package patterns</dt>
                    <dd>
                      {repository.packagePatterns.length === 0
                        ? "any"
                        : repository.packagePatterns.join(", ")}
                    </dd>
                  </div>
                  <div>
                    <dt>Eager packages</dt>
                    <dd>
                      {repository.eagerPackages.length === 0
                        ? "none: mirrored on demand only"
                        : repository.eagerPackages.join(", ")}
                    </dd>
                  </div>
                </>
              )}
              <div>
                <dt>Added</dt>
                <dd>
                  <DateText value={repository.createdAt} />
                </dd>
              </div>
            </dl>
            {mayWrite ? (
              editing ? (
                <RepositoryForm
                  repository={repository}
                  onSaved={(saved) => {
                    setEditing(false);
                    detail.reload();
                    onChanged(saved);
                  }}
                  onCancel={() => {
                    setEditing(false);
                  }}
                />
              ) : (
                <div className="actions">
                  <button
                    type="button"
                    onClick={() => {
                      setEditing(true);
                    }}
                  >
                    Change<span className="visually-hidden"> {repository.name}</span>
                  </button>
                  <ConfirmAction
                    id="remove-repository"
                    label="Remove"
                    accessibleLabel={`Remove ${repository.name}`}
                    question={`Remove ${repository.name}? The versions it provided disappear from the metadata.`}
                    confirmLabel={`Yes, remove ${repository.name}`}
                    danger
                    onConfirm={async () => {
                      const answer = await api.send<{ removedVersions: number }>("DELETE", base);
                      onRemoved(
                        `${repository.name} removed, with ${answer.removedVersions} version${answer.removedVersions === 1 ? "" : "s"}.`,
                      );
                    }}
                  />
                </div>
              )
            ) : null}
            {repository.upstream === null ? null : (
              <>
                <h3>Upstream health</h3>
                <UpstreamHealth report={repository.upstream} />
                <h3>Integrity conflicts</h3>
                <LoadState
                  loaded={conflicts}
                  what="integrity conflicts"
                  isEmpty={(data) => data.conflicts.length === 0}
                  empty={<p>No version changed upstream after it was first seen.</p>}
                >
                  {(data) => <IntegrityConflicts conflicts={data.conflicts} />}
                </LoadState>
                <h3>Name conflicts</h3>
                <LoadState
                  loaded={names}
                  what="name conflicts"
                  isEmpty={(data) => data.conflicts.length === 0}
                  empty={<p>No other upstream has a package of the same name.</p>}
                >
                  {(data) => <NameConflicts conflicts={data.conflicts} />}
                </LoadState>
              </>
            )}
          </>
        )}
      </LoadState>
      <h3>Sync history</h3>
      <LoadState
        loaded={syncs}
        what="the sync history"
        isEmpty={(data) => data.syncs.length === 0}
        empty={<p>Not synced yet.</p>}
      >
        {(data) => <SyncHistory syncs={data.syncs} />}
      </LoadState>
      <div className="actions">
        <button type="button" className="link-button" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
