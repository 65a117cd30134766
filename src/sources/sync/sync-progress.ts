/** What a running sync reports, for progress bars and logs. */
export type SyncProgress =
  | { readonly phase: "fetching" }
  | {
      readonly phase: "refs";
      readonly done: number;
      readonly total: number;
      /** The ref (git) or the package (an eager sync of a composer upstream) last done. */
      readonly ref: string;
      /** What is counted: refs by default, packages for an eager sync. */
      readonly unit?: "packages";
    }
  | { readonly phase: "done" };

export type SyncProgressListener = (progress: SyncProgress) => void;
