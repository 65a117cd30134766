/** A branch or tag of a mirrored git repository. */
export interface GitRef {
  /** The full ref name, for example `refs/tags/v1.0.0` or `refs/heads/main`. */
  readonly name: string;
  readonly kind: "tag" | "branch";
  /** The name without `refs/tags/` or `refs/heads/`. */
  readonly shortName: string;
  /** The commit the ref points at; annotated tags are peeled to their commit. */
  readonly commit: string;
}

/**
 * A local copy of a remote git repository, as the sync engine needs it. Commits are full object
 * names (hex); paths are relative to the root of the commit's tree.
 */
export interface GitMirror {
  /** Clones (first time) or fetches (later) the remote into the local mirror; prunes deleted refs; tags that moved are updated (force). */
  update(signal?: AbortSignal): Promise<void>;
  /** The branches and the tags that point (possibly through annotated tags) at commits. */
  listRefs(): Promise<GitRef[]>;
  /** The remote's default branch short name (from the remote HEAD at the last update), or null. */
  defaultBranch(): Promise<string | null>;
  /** File contents at a commit, or null when absent; throws DomainError code "GitFileTooLarge" when larger than maxBytes. */
  readFile(commit: string, path: string, maxBytes: number): Promise<Buffer | null>;
  /** Committer time of a commit. */
  commitTime(commit: string): Promise<Date>;
  /** `git archive --format=zip <commit>` (no prefix), deterministic for a commit; throws "GitArchiveTooLarge" when larger than maxBytes. */
  archive(commit: string, maxBytes: number): Promise<Buffer>;
}
