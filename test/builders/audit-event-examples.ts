import type { AuditCategory, AuditEvent } from "../../src/audit/audit-event.ts";

/**
 * Realistic stored events (valid against schemas/audit-event.v1.json) for the export formatters'
 * golden tests, and the actions the server records today (docs/audit-log.md).
 */

const fingerprint = "pb_Ab3d…x9Yz";

/** An unknown token on a protected route: failure, severity info (scanners produce many). */
export const tokenInvalid: AuditEvent = {
  schema_version: 1,
  id: "01KB3V9Q8G7J5YF3Q2M1T6W0XA",
  seq: 1040,
  timestamp: "2026-03-01T09:12:41.004Z",
  event: "authentication",
  action: "token_invalid",
  severity: "info",
  outcome: "failure",
  user: "pb_Zz9y…0000",
  actor: { type: "token", id: "pb_Zz9y…0000", auth_method: "bearer" },
  ip_address: "192.0.2.0/24",
  user_agent: "curl/8.5.0",
  request_id: "req_01KB3V9Q8D0000000000000001",
  target: null,
  details: { code: "InvalidToken", reason: "Unknown or malformed token" },
};

/** A revoked token presented again: denied, severity warning; the client's address in full. */
export const tokenRevoked: AuditEvent = {
  schema_version: 1,
  id: "01KB3V9Q8G7J5YF3Q2M1T6W0XB",
  seq: 1041,
  timestamp: "2026-03-01T09:12:42.250Z",
  event: "authentication",
  action: "token_revoked",
  severity: "warning",
  outcome: "denied",
  user: fingerprint,
  actor: { type: "token", id: fingerprint, auth_method: "basic" },
  ip_address: "2001:db8::17",
  user_agent: "Composer/2.8.4 (Linux; 6.8.0; PHP 8.3.6; cURL 8.5.0)",
  request_id: "req_01KB3V9Q8D0000000000000002",
  target: null,
  details: { code: "TokenRevoked", reason: "The token was revoked" },
};

/** A dist download of a package version (docs/audit-log.md's example). */
export const download: AuditEvent = {
  schema_version: 1,
  id: "01KB3V9Q8G7J5YF3Q2M1T6W0XZ",
  seq: 1042,
  timestamp: "2026-03-01T09:12:44.512Z",
  event: "package_access",
  action: "download",
  severity: "info",
  outcome: "success",
  user: fingerprint,
  actor: { type: "token", id: fingerprint, auth_method: "basic" },
  ip_address: "203.0.113.7",
  user_agent: "Composer/2.5.5 (Linux; 6.1; PHP 8.2.7; cURL 7.88.1)",
  request_id: "req_01KB3V9Q8D0000000000000003",
  target: { type: "package", name: "acme/widgets", version: "1.2.0.0" },
  details: { status: 200, reference: "3f786850e387550fdab836ed7e6dc881de23001b" },
};

/** A setting that differs from the previous start, recorded by the server itself. */
export const settingChanged: AuditEvent = {
  schema_version: 1,
  id: "01KB3V9Q8G7J5YF3Q2M1T6W0Y0",
  seq: 1043,
  timestamp: "2026-03-01T09:15:00.000Z",
  event: "configuration",
  action: "setting_changed",
  severity: "warning",
  outcome: "success",
  user: "system",
  actor: { type: "system", id: "system", auth_method: "none" },
  ip_address: null,
  user_agent: null,
  request_id: null,
  target: { type: "setting", name: "PB_AUDIT_IP_MODE" },
  details: { before: "full", after: "truncate" },
};

/** packages.json with PB_AUDIT_IP_MODE=none and no User-Agent: null address, agent and target. */
export const packagesJsonBare: AuditEvent = {
  schema_version: 1,
  id: "01KB3V9Q8G7J5YF3Q2M1T6W0Y1",
  seq: 1044,
  timestamp: "2026-03-01T09:15:01.020Z",
  event: "package_access",
  action: "packages_json",
  severity: "info",
  outcome: "success",
  user: fingerprint,
  actor: { type: "token", id: fingerprint, auth_method: "basic" },
  ip_address: null,
  user_agent: null,
  request_id: "req_01KB3V9Q8D0000000000000005",
  target: null,
  details: { status: 200 },
};

/** The payload of the classic DDE attack on spreadsheets. */
export const DDE_PAYLOAD = "=cmd|' /C calc'!A0";

/**
 * A refused download whose client-controlled strings are hostile: formula triggers (ASCII, after
 * white space, full-width), quotes, separators, CR/LF, pipes, backslashes, `=`, U+2028, an emoji.
 */
export const hostile: AuditEvent = {
  schema_version: 1,
  id: "01KB3V9Q8G7J5YF3Q2M1T6W0Y2",
  seq: 1045,
  timestamp: "2026-03-01T09:15:02.999Z",
  event: "package_access",
  action: "download_denied",
  severity: "warning",
  outcome: "denied",
  user: ' \t=HYPERLINK("http://evil.example")',
  actor: { type: "token", id: "＠SUM(1+1)", auth_method: "basic" },
  ip_address: "hmac:0123456789abcdef0123456789abcdef",
  user_agent: `${DDE_PAYLOAD}, "quoted"\r\nnext|line\\path\u2028sep 🎉 key=value`,
  request_id: "-2+3",
  target: { type: "package", name: 'acme/"widget",|\\', version: "+1.0\n=2" },
  details: { status: 403, code: "PackageNotAllowed", reason: "line1\r\nline2 a=b|c\\d\u2029 🎉", note: "@x" },
};

export const exampleEvents: readonly AuditEvent[] = [
  tokenInvalid,
  tokenRevoked,
  download,
  settingChanged,
  packagesJsonBare,
  hostile,
];

/** Every `<event>.<action>` the server records today (docs/audit-log.md, Categories and actions). */
export const recordedActions: readonly (readonly [AuditCategory, string])[] = [
  ["authentication", "token_accepted"],
  ["authentication", "credentials_missing"],
  ["authentication", "credentials_malformed"],
  ["authentication", "token_invalid"],
  ["authentication", "token_expired"],
  ["authentication", "token_revoked"],
  ["authentication", "scope_denied"],
  ["authentication", "token_refused"],
  ["authentication", "role_denied"],
  ["authentication", "csrf_rejected"],
  ["authentication", "session_only"],
  ["authentication", "two_factor_enrolment_pending"],
  ["authentication", "two_factor_enrolment_required"],
  ["authentication", "login_succeeded"],
  ["authentication", "login_failed"],
  ["authentication", "login_locked"],
  ["authentication", "logout"],
  ["authentication", "session_invalid"],
  ["package_access", "packages_json"],
  ["package_access", "metadata"],
  ["package_access", "download"],
  ["package_access", "download_denied"],
  ["package_access", "install_notification"],
  ["repository", "added"],
  ["repository", "changed"],
  ["repository", "removed"],
  ["repository", "sync_started"],
  ["repository", "version_added"],
  ["repository", "version_updated"],
  ["repository", "version_removed"],
  ["repository", "tag_moved"],
  ["repository", "sync_completed"],
  ["repository", "sync_failed"],
  ["repository", "proxy_fetch_failed"],
  ["repository", "dist_mirrored"],
  ["repository", "integrity_conflict"],
  ["package", "uploaded"],
  ["package", "upload_rejected"],
  ["package", "deleted"],
  ["token", "created"],
  ["token", "updated"],
  ["token", "revoked"],
  ["user", "created"],
  ["user", "updated"],
  ["user", "role_changed"],
  ["user", "blocked"],
  ["user", "unblocked"],
  ["user", "deleted"],
  ["user", "two_factor_enabled"],
  ["user", "two_factor_disabled"],
  ["user", "two_factor_reset"],
  ["user", "recovery_codes_regenerated"],
  ["user", "invited"],
  ["user", "invitation_revoked"],
  ["user", "invitation_accepted"],
  ["user", "setup_link_created"],
  ["user", "setup_completed"],
  ["user", "password_reset_requested"],
  ["user", "password_reset_completed"],
  ["user", "password_changed"],
  ["user", "link_invalid"],
  ["configuration", "setting_changed"],
  ["configuration", "settings_changed"],
  ["configuration", "loaded"],
  ["audit", "checkpoint_key_created"],
  ["audit", "checkpoint_read"],
  ["audit", "proof_read"],
  ["audit", "consistency_read"],
  ["audit", "verified"],
  ["audit", "backup_created"],
  ["system", "migrated"],
  ["system", "started"],
  ["system", "stopped"],
  ["system", "restored"],
];

/** `base` recast as each recorded action with each outcome, for exhaustive mapping checks. */
export function everyRecordedVariant(base: AuditEvent = download): AuditEvent[] {
  const outcomes = ["success", "failure", "denied"] as const;
  return recordedActions.flatMap(([event, action]) =>
    outcomes.map((outcome) => ({ ...base, event, action, outcome })),
  );
}
