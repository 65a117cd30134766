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
  audit_search: AuditSearchTable;
  users: UsersTable;
  sessions: SessionsTable;
  recovery_codes: RecoveryCodesTable;
  account_links: AccountLinksTable;
  login_failures: LoginFailuresTable;
  audit_search_state: AuditSearchStateTable;
  settings: SettingsTable;
  job_leases: JobLeasesTable;
  job_runs: JobRunsTable;
  audit_ip_keys: AuditIpKeysTable;
  audit_raw_ips: AuditRawIpsTable;
  audit_sinks: AuditSinksTable;
  audit_sink_parked: AuditSinkParkedTable;
  audit_subjects: AuditSubjectsTable;
  proxy_documents: ProxyDocumentsTable;
  proxy_versions: ProxyVersionsTable;
  proxy_change_feeds: ProxyChangeFeedsTable;
  proxy_name_conflicts: ProxyNameConflictsTable;
  alerts: AlertsTable;
  alert_state: AlertStateTable;
}

export type RepositoryType = "git" | "composer";
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
  /** JSON array of package patterns an upstream may provide (composer type); empty: any. */
  package_patterns: string;
  /** The absolute `metadata-url` template of a composer upstream (`.../p2/%package%.json`). */
  metadata_url: string | null;
  /** JSON array of package patterns a composer upstream's sync mirrors ahead of time; empty: lazy only. */
  eager_packages: string;
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

/** `interrupted`: the process running it died; the next sync found it running after its lease expired. */
export type SyncRunStatus = "running" | "succeeded" | "failed" | "interrupted";

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
  /** JSON of the last `SyncProgress` while the run is `running`; null once it ended. */
  progress: string | null;
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
  /** The user who owns a personal token; null for a token an admin made for a machine. */
  user_id: string | null;
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
  /** Null once retention purged the payload (as are the other payload columns below). */
  user: string | null;
  /** JSON object. */
  actor: string | null;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** JSON object or null. */
  target: string | null;
  /** JSON object. */
  details: string | null;
  /** Hex SHA-256(0x00 || canonical JSON of the event): the Merkle leaf. Kept by a purge. */
  leaf_hash: string;
  /** When retention cleared the payload; null while the event is whole. */
  purged_at: string | null;
  /**
   * Search key of `ip_address` (see audit/search/audit-ip-key.ts), computed when the event is
   * written (the address may be kept only as a key); not part of the leaf.
   */
  ip_key: string | null;
}

/**
 * The search index of the audit log (audit/search/search-projection.ts): one row per event that
 * still has its payload, filled behind the log by the indexer. On SQLite it lives in the attached
 * `search` file, beside the FTS5 table `audit_fts`; on PostgreSQL `search_vector` holds the text.
 */
export interface AuditSearchTable {
  seq: number;
  timestamp: string;
  event: string;
  action: string;
  severity: string;
  outcome: string;
  user: string | null;
  package_name: string | null;
  package_version: string | null;
  repository_name: string | null;
  token_ref: string | null;
  ip_key: string | null;
  request_id: string | null;
}

/** One row (id = 1): every event up to this seq is in the search index (or purged). */
export interface AuditSearchStateTable {
  id: number;
  indexed_through: number;
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

/** Settings changed at run time, one JSON value per key (`audit.retention`, `audit.legal_hold`). */
export interface SettingsTable {
  key: string;
  /** JSON. */
  value: string;
  updated_at: string;
}

/** Which process runs a background job now, and how its last run ended. */
export interface JobLeasesTable {
  name: string;
  holder: string | null;
  lease_until: string | null;
  last_started_at: string | null;
  last_finished_at: string | null;
  last_outcome: string | null;
  last_error: string | null;
}

export type JobRunOutcome = "succeeded" | "failed";

/** One round of a background job that did something or failed (migration 0013). */
export interface JobRunsTable {
  id: string;
  job: string;
  /** `host:pid:random` of the process that ran it. */
  holder: string;
  started_at: string;
  finished_at: string;
  outcome: JobRunOutcome;
  /** JSON object: what the round did. */
  summary: string;
  error: string | null;
}

/** The key of one UTC day's raw client addresses, sealed with the server's secret key. */
export interface AuditIpKeysTable {
  /** YYYY-MM-DD. */
  day: string;
  sealed_key: string;
  created_at: string;
}

/** An event's raw client address, sealed with its day's key; unreadable once the key is gone. */
export interface AuditRawIpsTable {
  seq: number;
  day: string;
  sealed: string;
}

/** Who a stable actor id is: personal data kept beside the log, erasable. */
export interface AuditSubjectsTable {
  id: string;
  email: string | null;
  name: string | null;
  created_at: string;
  erased_at: string | null;
}

/**
 * `deleted`: a soft-deleted user. The row keeps its id (audit events name it) and role; the e-mail
 * address is replaced by `deleted:<id>` (freed for a new account), the name and secrets are gone.
 */
export type UserStatus = "active" | "blocked" | "deleted";

/** A person who signs in to the dashboard or the API (migration 0007). */
export interface UsersTable {
  /** `usr_` + ULID: the stable actor id in the audit log. */
  id: string;
  /** Lower-cased. */
  email: string;
  name: string | null;
  /** admin, maintainer, auditor or viewer (access/user-role.ts). */
  role: string;
  status: UserStatus;
  /** scrypt (access/password-hash.ts); null until the person sets a password. */
  password_hash: string | null;
  password_changed_at: string | null;
  /** The TOTP secret, sealed with the server's secret key; null without 2FA. */
  totp_secret: string | null;
  totp_enabled_at: string | null;
  totp_last_step: number | null;
  created_at: string;
  updated_at: string;
}

/** A browser session (the cookie holds the token; only its hash is stored). */
export interface SessionsTable {
  id_hash: string;
  user_id: string;
  /** SHA-256 of the session's CSRF token. */
  csrf_hash: string;
  /** 1 while the password is checked and the second factor is not. */
  pending_mfa: number;
  ip_address: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** Two-factor recovery codes, hashed; each works once. */
export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: string | null;
}

/**
 * A one-time link (migration 0007): an invitation, the first-run setup link or a password reset.
 * The URL carries a random token; only its SHA-256 is stored.
 */
export interface AccountLinksTable {
  /** `lnk_` + ULID. */
  id: string;
  /** invitation, setup or password-reset (access/account-link-purpose.ts). */
  purpose: string;
  /** SHA-256 (hex) of the token. */
  token_hash: string;
  /** Lower-cased; null for a setup link (the person chooses their address). */
  email: string | null;
  /** The role an invitation gives; admin for a setup link; null for a reset. */
  role: string | null;
  /** The user whose password a reset sets; null otherwise. */
  user_id: string | null;
  /** The user who made the link; null when the system or the console did. */
  created_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

/** One failed login, by account (`account:<email>`) or by address (`ip:<address>`). */
export interface LoginFailuresTable {
  id: string;
  subject: string;
  at: string;
}

/** What a composer upstream last said about one p2 document (migration 0008). */
export interface ProxyDocumentsTable {
  repository_id: string;
  package_name: string;
  /** 1 for `~dev.json`. */
  dev: number;
  /** 0 when the upstream answered 404 (kept as a negative cache entry). */
  found: number;
  /** JSON array of version_normalized, in the upstream's order. */
  versions: string;
  upstream_last_modified: string | null;
  checked_at: string;
  /** Whole seconds: the Last-Modified of the document we serve. */
  changed_at: string;
}

/** The integrity ledger: each proxied version as first seen, and its dist once downloaded. */
export interface ProxyVersionsTable {
  repository_id: string;
  package_name: string;
  version_normalized: string;
  /** JSON: the expanded version entry as first seen, with the upstream's dist. */
  entry: string;
  reference: string | null;
  /** 40 hex digits naming the dist in our dist URL. */
  dist_key: string;
  upstream_dist_url: string | null;
  upstream_shasum: string | null;
  dist_sha256: string | null;
  dist_sha1: string | null;
  dist_size: number | null;
  first_seen_at: string;
  downloaded_at: string | null;
  /** JSON: the last entry the upstream served that differs from the first-seen one. */
  conflicting_entry: string | null;
  /** When that entry was served (migration 0009); null before it. */
  conflict_seen_at: string | null;
}

/** A receiver of the forwarded audit log, and where its delivery stands (migration 0010). */
export interface AuditSinksTable {
  id: string;
  name: string;
  type: string;
  url: string;
  format: string;
  /** JSON object: the type's options. */
  options: string;
  /** Sealed JSON of the token and signing secrets, or null. */
  secret: string | null;
  paused_at: string | null;
  /** The highest seq the receiver holds. */
  cursor: number;
  /** The largest signed checkpoint (tree size) the receiver holds. */
  checkpoint_cursor: number;
  delivered: number;
  /** Failed attempts in a row. */
  attempts: number;
  next_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A record a receiver refused for good, set aside so that its sink goes on. */
export interface AuditSinkParkedTable {
  sink_id: string;
  record_id: string;
  seq: number;
  kind: string;
  error: string;
  parked_at: string;
}

/** An upstream's `metadata-changes-url` and the cursor of the next request (migration 0011). */
export interface ProxyChangeFeedsTable {
  repository_id: string;
  changes_url: string;
  /** The feed's last `timestamp`, as a decimal string; null until first read. */
  since: string | null;
  updated_at: string;
}

/** A name two upstreams both have: `served_by` wins by priority, `shadowed` has it too (migration 0011). */
export interface ProxyNameConflictsTable {
  package_name: string;
  served_by: string;
  shadowed: string;
  first_seen_at: string;
}

/** An alert a rule raised (migration 0012). */
export interface AlertsTable {
  id: string;
  rule_id: string;
  rule_name: string;
  title: string;
  level: string;
  /** JSON: the group-by fields and their values. */
  group_key: string;
  count: number;
  /** JSON: [{id, seq}], oldest first. */
  evidence: string;
  first_timestamp: string;
  last_timestamp: string;
  fired_at: string;
  status: "open" | "acknowledged";
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  note: string | null;
  /** JSON: the response taken, or null. */
  response: string | null;
  /** JSON: each channel's delivery. */
  notifications: string;
  /** 1 while a notification is still to be (re)tried. */
  notify_pending: number;
}

/** One row (id = 1): the highest seq the alert rules have seen. */
export interface AlertStateTable {
  id: number;
  cursor: number;
}
