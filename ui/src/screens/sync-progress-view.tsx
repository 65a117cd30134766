import type { ReactNode } from "react";
import type { SyncProgress } from "../api/api-types.ts";

/**
 * What a running sync is doing, in words: a git sync names the ref it reads ("Reading v1.2.0: 3
 * of 40 refs done"), an eager sync of an upstream, whose packages are read several at a time, the
 * last one done ("2 of 3 packages done, last acme/log").
 */
export function syncProgressText(progress: SyncProgress | null): string {
  if (progress === null) return "Starting…";
  if (progress.phase === "fetching") return "Fetching from the source…";
  if (progress.unit === "packages") {
    return `${progress.done} of ${progress.total} packages done, last ${progress.ref}`;
  }
  return `Reading ${progress.ref}: ${progress.done} of ${progress.total} refs done`;
}

/**
 * A running sync's progress: a bar (indeterminate while it fetches, `done` of `total` while it
 * reads refs or packages) and the same in words. `label` names the sync for screen readers.
 */
export function SyncProgressView({
  progress,
  label,
}: {
  readonly progress: SyncProgress | null;
  readonly label: string;
}): ReactNode {
  const counted = progress?.phase === "refs" && progress.total > 0 ? progress : null;
  return (
    <div className="sync-progress">
      {counted === null ? (
        <progress aria-label={label} />
      ) : (
        <progress aria-label={label} max={counted.total} value={counted.done} />
      )}
      <p className="hint break">{syncProgressText(progress)}</p>
    </div>
  );
}
