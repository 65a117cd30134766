/** What a running sync reports, for progress bars and logs. */
export type SyncProgress =
  | { readonly phase: "fetching" }
  | { readonly phase: "refs"; readonly done: number; readonly total: number; readonly ref: string }
  | { readonly phase: "done" };

export type SyncProgressListener = (progress: SyncProgress) => void;
