import type { SyncProgress } from "../sources/sync/sync-progress.ts";

const WIDTH = 30;

/** Draws the progress of a sync on a terminal, on one line that is rewritten. */
export function syncProgressBar(write: (text: string) => void): (progress: SyncProgress) => void {
  return (progress) => {
    if (progress.phase === "fetching") {
      write("\rFetching from the remote...");
      return;
    }
    if (progress.phase === "done") {
      write("\r\u001b[2K");
      return;
    }
    const filled = progress.total === 0 ? WIDTH : Math.round((progress.done / progress.total) * WIDTH);
    const bar = `${"=".repeat(filled)}${" ".repeat(WIDTH - filled)}`;
    write(`\r\u001b[2K[${bar}] ${progress.done}/${progress.total} refs  ${progress.ref.slice(0, 40)}`);
  };
}
