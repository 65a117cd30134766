import type { ReactNode } from "react";
import type { SyncRun } from "../api/api-types.ts";
import { DateText } from "../components/date-text.tsx";
import { SyncProgressView } from "./sync-progress-view.tsx";

function changes(run: SyncRun): string {
  const { details } = run;
  const upstream = details.upstream;
  if (upstream !== undefined) {
    const { packages } = upstream;
    return `${upstream.mode} run: ${packages.fetched} packages fetched, ${packages.unchanged} unchanged, ${packages.failed} failed, ${packages.gone} gone`;
  }
  return `${details.added.length} added, ${details.updated.length} updated, ${details.removed.length} removed, ${details.skipped.length} skipped`;
}

/**
 * A repository's latest syncs, newest first: outcome, what changed, and why refs were skipped; a
 * running one with where it is.
 */
export function SyncHistory({ syncs }: { readonly syncs: readonly SyncRun[] }): ReactNode {
  return (
    <ol className="plain-list" aria-label="Sync history">
      {syncs.map((run) => (
        <li key={run.id}>
          <span
            className={`badge badge-${run.status === "succeeded" ? "ok" : run.status === "failed" ? "error" : "medium"}`}
          >
            {run.status}
          </span>{" "}
          <DateText value={run.startedAt} />
          {run.status === "running" ? (
            <SyncProgressView progress={run.progress} label="Progress of the running sync" />
          ) : (
            <p className="hint">{changes(run)}</p>
          )}
          {run.details.added.length === 0 ? null : (
            <p className="hint break">Added: {run.details.added.join(", ")}</p>
          )}
          {run.error === null ? null : <p className="sync-error break">{run.error}</p>}
          {run.details.skipped.length === 0 && (run.details.upstream?.failures.length ?? 0) === 0 ? null : (
            <details>
              <summary>Skipped and failed</summary>
              <ul className="break">
                {run.details.skipped.map((item) => (
                  <li key={`ref:${item.ref}`}>
                    <code>{item.ref}</code>: {item.reason}
                  </li>
                ))}
                {(run.details.upstream?.failures ?? []).map((item) => (
                  <li key={`package:${item.package}`}>
                    <code>{item.package}</code>: {item.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}
