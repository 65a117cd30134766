import type {
  AuditCategory,
  AuditEvent,
  AuditOutcome,
  AuditSeverity,
  AuditTarget,
  AuthMethod,
} from "../audit-event.ts";
import type { ProductInfo } from "./product-info.ts";
import { storedAddress } from "./stored-address.ts";

/**
 * The OCSF schema release the documents declare (`metadata.version`): 1.7.0, the latest release
 * (November 2025) when this was written. Classes, activities and enums are checked in the tests.
 */
export const OCSF_VERSION = "1.7.0";

/** `metadata.log_name`: the same name as the ECS dataset, so both exports are found alike. */
export const OCSF_LOG_NAME = "package_broker.audit";

/** An OCSF event class with the captions of its activities (0 Unknown and 99 Other are common). */
export interface OcsfClass {
  readonly uid: number;
  readonly name: string;
  readonly categoryUid: number;
  readonly categoryName: string;
  readonly activities: Readonly<Record<number, string>>;
  /** Attributes the class defines beyond the base event, so no document carries an unknown one. */
  readonly has: { readonly actor: boolean; readonly network: boolean; readonly dstEndpoint: boolean };
}

export const OCSF_OTHER = 99;

export const AUTHENTICATION: OcsfClass = {
  uid: 3002,
  name: "Authentication",
  categoryUid: 3,
  categoryName: "Identity & Access Management",
  activities: {
    1: "Logon",
    2: "Logoff",
    3: "Authentication Ticket",
    4: "Service Ticket Request",
    5: "Service Ticket Renew",
    6: "Preauth",
    7: "Account Switch",
  },
  has: { actor: true, network: true, dstEndpoint: true },
};

export const ACCOUNT_CHANGE: OcsfClass = {
  uid: 3001,
  name: "Account Change",
  categoryUid: 3,
  categoryName: "Identity & Access Management",
  activities: {
    1: "Create",
    2: "Enable",
    3: "Password Change",
    4: "Password Reset",
    5: "Disable",
    6: "Delete",
    7: "Attach Policy",
    8: "Detach Policy",
    9: "Lock",
    10: "MFA Factor Enable",
    11: "MFA Factor Disable",
    12: "Unlock",
  },
  has: { actor: true, network: true, dstEndpoint: false },
};

export const APPLICATION_LIFECYCLE: OcsfClass = {
  uid: 6002,
  name: "Application Lifecycle",
  categoryUid: 6,
  categoryName: "Application Activity",
  activities: {
    1: "Install",
    2: "Remove",
    3: "Start",
    4: "Stop",
    5: "Restart",
    6: "Enable",
    7: "Disable",
    8: "Update",
  },
  has: { actor: false, network: false, dstEndpoint: false },
};

export const API_ACTIVITY: OcsfClass = {
  uid: 6003,
  name: "API Activity",
  categoryUid: 6,
  categoryName: "Application Activity",
  activities: { 1: "Create", 2: "Read", 3: "Update", 4: "Delete" },
  has: { actor: true, network: true, dstEndpoint: true },
};

export interface OcsfClassification {
  readonly eventClass: OcsfClass;
  readonly activityId: number;
}

const CREATE = 1;
const READ = 2;
const UPDATE = 3;
const DELETE = 4;

/** Class and activity per `<event>.<action>`; see docs/audit-export.md for the reasons. */
const ACTIONS: Readonly<Record<string, OcsfClassification>> = {
  // A valid token without the needed scope is an authorization refusal of an API call, not a
  // failed logon: it must not count towards failed-logon detections.
  "authentication.scope_denied": { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  "authentication.role_denied": { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  "authentication.csrf_rejected": { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  "authentication.session_only": { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  "authentication.two_factor_enrolment_pending": { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  // Authentication activity 2: Logoff.
  "authentication.logout": { eventClass: AUTHENTICATION, activityId: 2 },
  // Follows the logon (login_succeeded) of an enrolment-only session: not a second logon.
  "authentication.two_factor_enrolment_required": { eventClass: AUTHENTICATION, activityId: OCSF_OTHER },
  "package_access.packages_json": { eventClass: API_ACTIVITY, activityId: READ },
  "package_access.metadata": { eventClass: API_ACTIVITY, activityId: READ },
  "package_access.download": { eventClass: API_ACTIVITY, activityId: READ },
  "package_access.download_denied": { eventClass: API_ACTIVITY, activityId: READ },
  // POST /downloads: Composer reports installs, the broker records download counts.
  "package_access.install_notification": { eventClass: API_ACTIVITY, activityId: CREATE },
  "package.uploaded": { eventClass: API_ACTIVITY, activityId: CREATE },
  "package.upload_rejected": { eventClass: API_ACTIVITY, activityId: CREATE },
  "package.deleted": { eventClass: API_ACTIVITY, activityId: DELETE },
  "repository.added": { eventClass: API_ACTIVITY, activityId: CREATE },
  "repository.changed": { eventClass: API_ACTIVITY, activityId: UPDATE },
  "repository.removed": { eventClass: API_ACTIVITY, activityId: DELETE },
  "repository.version_added": { eventClass: API_ACTIVITY, activityId: CREATE },
  "repository.version_updated": { eventClass: API_ACTIVITY, activityId: UPDATE },
  "repository.version_removed": { eventClass: API_ACTIVITY, activityId: DELETE },
  "repository.tag_moved": { eventClass: API_ACTIVITY, activityId: UPDATE },
  "repository.integrity_conflict": { eventClass: API_ACTIVITY, activityId: UPDATE },
  "repository.dist_mirrored": { eventClass: API_ACTIVITY, activityId: CREATE },
  "token.created": { eventClass: API_ACTIVITY, activityId: CREATE },
  "token.updated": { eventClass: API_ACTIVITY, activityId: UPDATE },
  // Revocation sets revoked_at; the token stays listed: an update, not a delete.
  "token.revoked": { eventClass: API_ACTIVITY, activityId: UPDATE },
  "configuration.setting_changed": { eventClass: API_ACTIVITY, activityId: UPDATE },
  "configuration.settings_changed": { eventClass: API_ACTIVITY, activityId: UPDATE },
  "configuration.loaded": { eventClass: API_ACTIVITY, activityId: READ },
  "audit.checkpoint_key_created": { eventClass: API_ACTIVITY, activityId: CREATE },
  "audit.checkpoint_read": { eventClass: API_ACTIVITY, activityId: READ },
  "audit.proof_read": { eventClass: API_ACTIVITY, activityId: READ },
  "audit.consistency_read": { eventClass: API_ACTIVITY, activityId: READ },
  "audit.verified": { eventClass: API_ACTIVITY, activityId: READ },
  // There are no user accounts yet: these are the names the `user` actions are expected to have.
  "user.created": { eventClass: ACCOUNT_CHANGE, activityId: 1 },
  "user.enabled": { eventClass: ACCOUNT_CHANGE, activityId: 2 },
  "user.disabled": { eventClass: ACCOUNT_CHANGE, activityId: 5 },
  "user.deleted": { eventClass: ACCOUNT_CHANGE, activityId: 6 },
  // Account Change 10 MFA Factor Enable, 11 MFA Factor Disable (an admin's reset disables it too).
  "user.two_factor_enabled": { eventClass: ACCOUNT_CHANGE, activityId: 10 },
  "user.two_factor_disabled": { eventClass: ACCOUNT_CHANGE, activityId: 11 },
  "user.two_factor_reset": { eventClass: ACCOUNT_CHANGE, activityId: 11 },
  "user.recovery_codes_regenerated": { eventClass: ACCOUNT_CHANGE, activityId: OCSF_OTHER },
  // Account Change 1 Create (an invitation or the setup link used), 3 Password Change, 4 Password
  // Reset (completed through the link; the admin's request is Other, like the invitation itself).
  "user.invitation_accepted": { eventClass: ACCOUNT_CHANGE, activityId: 1 },
  "user.setup_completed": { eventClass: ACCOUNT_CHANGE, activityId: 1 },
  "user.password_changed": { eventClass: ACCOUNT_CHANGE, activityId: 3 },
  "user.password_reset_completed": { eventClass: ACCOUNT_CHANGE, activityId: 4 },
  "system.started": { eventClass: APPLICATION_LIFECYCLE, activityId: 3 },
  "system.stopped": { eventClass: APPLICATION_LIFECYCLE, activityId: 4 },
  // Migrations run because the installed application changed version: its storage is updated.
  "system.migrated": { eventClass: APPLICATION_LIFECYCLE, activityId: 8 },
  // A restore replaced the application's data: its storage changed under it, like a migration.
  "system.restored": { eventClass: APPLICATION_LIFECYCLE, activityId: 8 },
  "audit.backup_created": { eventClass: API_ACTIVITY, activityId: READ },
};

/**
 * Every other action of a category (sync_started, the token checks, actions added later):
 * authentication is a Logon attempt (each request presents its credentials again); the others
 * keep their category's class with activity Other and the action as `activity_name`.
 */
const CATEGORIES: Readonly<Record<AuditCategory, OcsfClassification>> = {
  authentication: { eventClass: AUTHENTICATION, activityId: 1 },
  package_access: { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  repository: { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  package: { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  token: { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  user: { eventClass: ACCOUNT_CHANGE, activityId: OCSF_OTHER },
  configuration: { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  audit: { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
  system: { eventClass: APPLICATION_LIFECYCLE, activityId: OCSF_OTHER },
  // No alert rules exist yet. A Detection Finding (2004) has its own status enum and required
  // finding_info, so alerts get that mapping when their content is known.
  alert: { eventClass: API_ACTIVITY, activityId: OCSF_OTHER },
};

export function ocsfClassification(event: AuditEvent): OcsfClassification {
  return ACTIONS[`${event.event}.${event.action}`] ?? CATEGORIES[event.event];
}

const INFORMATIONAL = Object.freeze({ id: 1, caption: "Informational" });
const MEDIUM = Object.freeze({ id: 3, caption: "Medium" });
const HIGH = Object.freeze({ id: 4, caption: "High" });

/** OCSF severity_id: 1 Informational, 3 Medium ("action is required"), 4 High ("immediately"). */
export function ocsfSeverity(severity: AuditSeverity): { readonly id: number; readonly caption: string } {
  if (severity === "info") return INFORMATIONAL;
  return severity === "warning" ? MEDIUM : HIGH;
}

const SUCCESS = Object.freeze({ id: 1, caption: "Success" });
const FAILURE = Object.freeze({ id: 2, caption: "Failure" });

/** OCSF status_id: 1 Success, 2 Failure; a refusal is a failure (unmapped.outcome keeps "denied"). */
export function ocsfStatus(outcome: AuditOutcome): { readonly id: number; readonly caption: string } {
  return outcome === "success" ? SUCCESS : FAILURE;
}

/**
 * auth_protocol_id has no value for HTTP Basic or bearer API tokens (0 Unknown, 1 NTLM, 2 Kerberos,
 * 3 Digest, 4 OpenID, 5 SAML, 6 OAUTH 2.0, 7 PAP, 8 CHAP, 9 EAP, 10 RADIUS, 99 Other): they are
 * Other with the method as `auth_protocol`; no credentials at all is Unknown.
 */
function assignAuthProtocol(document: Record<string, unknown>, method: AuthMethod): void {
  document.auth_protocol_id = method === "none" ? 0 : OCSF_OTHER;
  document.auth_protocol = method === "none" ? "Unknown" : method;
}

/*
 * The documents are built member by member, optional ones assigned where they belong, rather
 * than spread from temporary objects (`...(x ? {} : {x})`): the members and their order, and so
 * the JSON, are the same, without a copy per optional member for every exported event.
 */

/**
 * The event as an OCSF document (one NDJSON line). Members OCSF has no attribute for, and the
 * original values of those it maps with loss (outcome, severity), are kept in `unmapped`; with
 * the mapped ones (metadata.uid, metadata.sequence, time, actor.user.uid, src_endpoint,
 * http_request) they give back the envelope.
 */
export function toOcsf(event: AuditEvent, product: ProductInfo): Record<string, unknown> {
  const { eventClass, activityId } = ocsfClassification(event);
  const caption = activityId === OCSF_OTHER ? "Other" : (eventClass.activities[activityId] ?? "Other");
  const severity = ocsfSeverity(event.severity);
  const status = ocsfStatus(event.outcome);
  const code = event.details.code;
  const reason = event.details.reason;
  const statusDetail =
    typeof reason === "string" ? reason : event.outcome === "denied" ? "denied" : undefined;
  const key = `${event.event}.${event.action}`;

  const document: Record<string, unknown> = {
    class_uid: eventClass.uid,
    class_name: eventClass.name,
    category_uid: eventClass.categoryUid,
    category_name: eventClass.categoryName,
    activity_id: activityId,
    // For Other, OCSF wants the source's own name of the activity.
    activity_name: activityId === OCSF_OTHER ? event.action : caption,
    type_uid: eventClass.uid * 100 + activityId,
    type_name: `${eventClass.name}: ${caption}`,
    severity_id: severity.id,
    severity: severity.caption,
    status_id: status.id,
    status: status.caption,
  };
  if (typeof code === "string") document.status_code = code;
  if (statusDetail !== undefined) document.status_detail = statusDetail;
  document.time = Date.parse(event.timestamp);
  document.timezone_offset = 0;
  document.message = `${key} ${event.outcome}`;
  document.metadata = {
    version: OCSF_VERSION,
    product: { name: product.product, vendor_name: product.vendor, version: product.version },
    uid: event.id,
    sequence: event.seq,
    log_name: OCSF_LOG_NAME,
    event_code: key,
  };

  if (eventClass.has.actor) document.actor = { user: { uid: event.user } };
  if (eventClass.has.network) {
    const source = sourceEndpoint(event, product);
    if (source !== null) document.src_endpoint = source;
    if (event.user_agent !== null || event.request_id !== null) {
      const request: Record<string, string> = {};
      if (event.request_id !== null) request.uid = event.request_id;
      if (event.user_agent !== null) request.user_agent = event.user_agent;
      document.http_request = request;
    }
    const httpStatus = event.event === "package_access" ? event.details.status : undefined;
    if (typeof httpStatus === "number") document.http_response = { code: httpStatus };
  }
  if (eventClass.has.dstEndpoint && product.host !== undefined) {
    document.dst_endpoint = { hostname: product.host };
  }
  assignClassAttributes(document, eventClass, event, product);
  document.unmapped = {
    schema_version: event.schema_version,
    event: event.event,
    action: event.action,
    outcome: event.outcome,
    severity: event.severity,
    actor: event.actor,
    target: event.target,
    details: event.details,
  };
  return document;
}

/**
 * `src_endpoint` from the stored address: `ip` only for a real address; an HMAC pseudonym is a
 * stable identifier of the client, so `uid`; a network (or anything else) has no typed attribute
 * and goes to `name`, the endpoint's free-text name. Without an address, the events of the server
 * itself and of its CLI come from the package-broker service (`svc_name`); an HTTP client whose
 * address PB_AUDIT_IP_MODE=none dropped has no endpoint at all: nothing is invented for it.
 */
function sourceEndpoint(event: AuditEvent, product: ProductInfo): Record<string, string> | null {
  const address = storedAddress(event.ip_address);
  if (address === null) {
    const local = event.actor.type === "system" || event.actor.type === "console";
    return local ? { svc_name: product.product } : null;
  }
  if (address.kind === "ipv4" || address.kind === "ipv6") return { ip: address.value };
  if (address.kind === "hmac") return { uid: address.value };
  return { name: address.value };
}

/** Adds the attributes of the event's class, after the base event's. */
function assignClassAttributes(
  document: Record<string, unknown>,
  eventClass: OcsfClass,
  event: AuditEvent,
  product: ProductInfo,
): void {
  const service = { name: product.product, version: product.version };
  const target = event.target;
  switch (eventClass.uid) {
    case AUTHENTICATION.uid:
      // The subject that authenticates: the presented token (its fingerprint) or `anonymous`.
      document.user = { uid: event.user };
      document.service = service;
      document.is_remote = event.request_id !== null;
      assignAuthProtocol(document, event.actor.auth_method);
      return;
    case ACCOUNT_CHANGE.uid:
      document.user = target === null ? { uid: event.user } : targetUser(target);
      return;
    case APPLICATION_LIFECYCLE.uid:
      document.app = { name: product.product, vendor_name: product.vendor, version: product.version };
      return;
    default: {
      const api: Record<string, unknown> = { operation: `${event.event}.${event.action}`, service };
      if (event.request_id !== null) api.request = { uid: event.request_id };
      document.api = api;
      if (target !== null) document.resources = [targetResource(target)];
    }
  }
}

/** The target of an account change as an OCSF user: its id and name, where it has them. */
function targetUser(target: AuditTarget): Record<string, string> {
  const user: Record<string, string> = {};
  if (target.id !== undefined) user.uid = target.id;
  if (target.name !== undefined) user.name = target.name;
  return user;
}

/**
 * The target as an OCSF resource: type, id, name and version, where it has them (`type` too may
 * be missing: a stored row is not validated when it is read back).
 */
function targetResource(target: Partial<AuditTarget>): Record<string, string> {
  const resource: Record<string, string> = {};
  if (target.type !== undefined) resource.type = target.type;
  if (target.id !== undefined) resource.uid = target.id;
  if (target.name !== undefined) resource.name = target.name;
  if (target.version !== undefined) resource.version = target.version;
  return resource;
}
