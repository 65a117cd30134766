import type { SyncProgress } from "../sources/sync/sync-progress.ts";
import { CLEAR_LINE, progressLine } from "./progress-line.ts";

/** Draws the progress of a sync on a terminal, on one line that is rewritten. */
export function syncProgressBar(write: (text: string) => void): (progress: SyncProgress) => void {
  return (progress) => {
    if (progress.phase === "fetching") {
      write("\rFetching from the remote...");
      return;
    }
    if (progress.phase === "done") {
      write(CLEAR_LINE);
      return;
    }
    write(progressLine(progress.done, progress.total, progress.unit ?? "refs", progress.ref.slice(0, 40)));
  };
}
