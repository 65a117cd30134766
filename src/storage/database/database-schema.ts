/**
 * The database as Kysely sees it. Timestamps are ISO-8601 UTC strings with milliseconds (they sort
 * as text on both engines); booleans are 0/1 integers; JSON documents are text.
 */
export interface Database {
  repositories: RepositoriesTable;
  repository_refs: RepositoryRefsTable;
  sync_runs: SyncRunsTable;
  packages: PackagesTable;
  package_versions: PackageVersionsTable;
  tokens: TokensTable;
  install_counts: InstallCountsTable;
  catalog_state: CatalogStateTable;
  audit_logs: AuditLogsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_state: AuditStateTable;
}

export type RepositoryType = "git";
export type RepositoryStatus = "new" | "syncing" | "ok" | "error";

export interface RepositoriesTable {
  id: string;
  name: string;
  type: RepositoryType;
  url: string;
  /** AES-256-GCM sealed JSON of the credentials, or null. Never leaves the server. */
  credentials: string | null;
  status: RepositoryStatus;
  /** The remote's default branch as of the last sync; its version carries `default-branch: true`. */
  default_branch: string | null;
  /** A sync holds the repository until this time (a lease, so a crashed sync does not block forever). */
  sync_lease_until: string | null;
  last_error: string | null;
  last_synced_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The last seen state of each git ref of a repository; a re-sync only processes refs that changed. */
export interface RepositoryRefsTable {
  repository_id: string;
  ref: string;
  commit: string;
  package_name: string | null;
  version_normalized: string | null;
  skip_reason: string | null;
  updated_at: string;
}

export type SyncRunStatus = "running" | "succeeded" | "failed";

export interface SyncRunsTable {
  id: string;
  repository_id: string;
  status: SyncRunStatus;
  started_at: string;
  finished_at: string | null;
  versions_added: number;
  versions_removed: number;
  refs_skipped: number;
  /** JSON: { added, removed, skipped: [{ref, reason}], moved: [{ref, from, to}] } */
  details: string;
  error: string | null;
}

export interface PackagesTable {
  name: string;
  /** Changes whenever one of its versions changes: the Last-Modified of its p2 documents. */
  updated_at: string;
  created_at: string;
}

export type VersionOrigin = "git" | "upload";

export interface PackageVersionsTable {
  id: string;
  package_name: string;
  version: string;
  version_normalized: string;
  /** 1 for branch versions, served in `~dev.json`. */
  is_dev: number;
  origin: VersionOrigin;
  repository_id: string | null;
  /** Commit SHA for git versions, SHA-1 of the zip for uploads. */
  reference: string;
  /** JSON: the Composer version entry as served, minus `dist`. */
  metadata: string;
  dist_sha256: string;
  dist_sha1: string;
  dist_size: number;
  created_at: string;
  updated_at: string;
}

export interface TokensTable {
  id: string;
  description: string;
  /** SHA-256 hex of the whole token. */
  token_hash: string;
  /** What may be shown of a token: `pb_` + its first 4 and last 4 characters. */
  fingerprint: string;
  /** JSON array of scopes. */
  scopes: string;
  /** JSON array of package patterns; empty means every package. */
  package_patterns: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface InstallCountsTable {
  package_name: string;
  version_normalized: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  count: number;
}

/** One row (id = 1): the catalog's revision, bumped by every change visible in packages.json. */
export interface CatalogStateTable {
  id: number;
  revision: number;
  changed_at: string;
}

/** One audit event; the columns are the envelope (docs/audit-log.md). Append-only. */
export interface AuditLogsTable {
  seq: number;
  id: string;
  schema_version: number;
  timestamp: string;
  event: string;
  action: string;
  severity: string;
  outcome: string;
  user: string;
  /** JSON object. */
  actor: string;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** JSON object or null. */
  target: string | null;
  /** JSON object. */
  details: string;
  /** Hex SHA-256(0x00 || canonical JSON of the event): the Merkle leaf. */
  leaf_hash: string;
}

/** Signed checkpoints (C2SP tlog-checkpoint notes) of the audit log's Merkle tree. Append-only. */
export interface AuditCheckpointsTable {
  size: number;
  root_hash: string;
  note: string;
  created_at: string;
}

/** One row (id = 1): the log's size and Merkle frontier, so appends never rehash the log. */
export interface AuditStateTable {
  id: number;
  size: number;
  /** JSON array of base64 subtree hashes (the compact range of the whole tree). */
  frontier: string;
}
