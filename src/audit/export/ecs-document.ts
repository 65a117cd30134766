import type { AuditCategory, AuditEvent, AuditOutcome, AuditSeverity } from "../audit-event.ts";
import type { ProductInfo } from "./product-info.ts";
import { storedAddress } from "./stored-address.ts";

/**
 * The Elastic Common Schema release the documents declare (`ecs.version`): 8.17 is the last 8.x
 * release. The categorization values used are checked against its allowed values in the tests.
 */
export const ECS_VERSION = "8.17.0";

/** `event.dataset`: `<module>.<dataset>`, as Elastic integrations name theirs. */
export const ECS_DATASET = "package_broker.audit";
export const ECS_MODULE = "package_broker";

/** ECS `event.category` values used here (a subset of the allowed values, see the tests). */
export type EcsCategory =
  | "api"
  | "authentication"
  | "configuration"
  | "database"
  | "file"
  | "iam"
  | "intrusion_detection"
  | "process"
  | "web";

/** ECS `event.type` values used here, each expected by the category it is paired with. */
export type EcsType =
  | "access"
  | "admin"
  | "change"
  | "creation"
  | "deletion"
  | "denied"
  | "end"
  | "error"
  | "info"
  | "start"
  | "user";

export interface EcsCategorization {
  readonly kind: "event" | "alert";
  readonly category: readonly EcsCategory[];
  readonly type: readonly EcsType[];
}

const creation = ["creation"] as const;
const change = ["change"] as const;
const deletion = ["deletion"] as const;

/**
 * Category and type per `<event>.<action>` (the actions of docs/audit-log.md). Types are always
 * among the "expected event types" ECS lists for the category, so Kibana's views and the
 * prebuilt detection rules read them as intended.
 */
const ACTIONS: Readonly<Record<string, Omit<EcsCategorization, "kind">>> = {
  // Each token check is a logon attempt of a stateless API client: authentication/start with its
  // outcome, like an SSH or Okta login. A valid token without the scope is an authorization
  // refusal, not a failed logon: it must not feed brute-force rules, so it is an api/denied event.
  "authentication.scope_denied": { category: ["api"], type: ["denied"] },
  // The same for a signed-in person whose role does not allow the route, or a change without
  // the session's CSRF token.
  "authentication.role_denied": { category: ["api"], type: ["denied"] },
  "authentication.csrf_rejected": { category: ["api"], type: ["denied"] },
  "authentication.session_only": { category: ["api"], type: ["denied"] },
  "authentication.two_factor_enrolment_pending": { category: ["api"], type: ["denied"] },
  "authentication.logout": { category: ["authentication"], type: ["end"] },
  // Follows a login_succeeded (the logon itself): information about that session, not a logon.
  "authentication.two_factor_enrolment_required": { category: ["authentication"], type: ["info"] },
  "package.uploaded": { category: ["file"], type: creation },
  "package.upload_rejected": { category: ["file"], type: creation },
  "package.deleted": { category: ["file"], type: deletion },
  "repository.added": { category: ["configuration"], type: creation },
  "repository.changed": { category: ["configuration"], type: change },
  "repository.removed": { category: ["configuration"], type: deletion },
  "repository.version_added": { category: ["configuration"], type: creation },
  "repository.version_updated": { category: ["configuration"], type: change },
  "repository.version_removed": { category: ["configuration"], type: deletion },
  "repository.tag_moved": { category: ["configuration"], type: change },
  // A proxied version's upstream now serves another reference or other bytes; the first stays served.
  "repository.integrity_conflict": { category: ["configuration"], type: change },
  // A proxied dist fetched from its upstream and stored.
  "repository.dist_mirrored": { category: ["file"], type: creation },
  "token.created": { category: ["iam"], type: ["admin", "creation"] },
  "token.updated": { category: ["iam"], type: ["admin", "change"] },
  // A revoked token stays listed (revoked_at set): a change, not a deletion.
  "token.revoked": { category: ["iam"], type: ["admin", "change"] },
  // A soft delete (the id stays), but the account is gone for good: a deletion.
  "user.deleted": { category: ["iam"], type: ["user", "deletion"] },
  "user.two_factor_enabled": { category: ["iam"], type: ["user", "change"] },
  "user.two_factor_disabled": { category: ["iam"], type: ["user", "change"] },
  "user.two_factor_reset": { category: ["iam"], type: ["admin", "user", "change"] },
  "user.recovery_codes_regenerated": { category: ["iam"], type: ["user", "change"] },
  // One-time links: using one creates the account, or sets its password; an admin's request for
  // a reset changes nothing yet. Invitations and setup links themselves fall to user/info.
  "user.invitation_accepted": { category: ["iam"], type: ["user", "creation"] },
  "user.setup_completed": { category: ["iam"], type: ["user", "creation"] },
  "user.password_reset_requested": { category: ["iam"], type: ["admin", "user", "info"] },
  "user.password_reset_completed": { category: ["iam"], type: ["user", "change"] },
  "user.password_changed": { category: ["iam"], type: ["user", "change"] },
  "configuration.settings_changed": { category: ["configuration"], type: change },
  "configuration.setting_changed": { category: ["configuration"], type: change },
  "audit.checkpoint_key_created": { category: ["configuration"], type: creation },
  "system.started": { category: ["process"], type: ["start"] },
  "system.stopped": { category: ["process"], type: ["end"] },
  "system.migrated": { category: ["database"], type: change },
  "system.restored": { category: ["database"], type: change },
  "audit.backup_created": { category: ["database"], type: ["access"] },
};

/** Every other action of a category (and actions added later) falls back to these. */
const CATEGORIES: Readonly<Record<AuditCategory, Omit<EcsCategorization, "kind">>> = {
  authentication: { category: ["authentication"], type: ["start"] },
  package_access: { category: ["web"], type: ["access"] },
  repository: { category: ["configuration"], type: ["info"] },
  package: { category: ["file"], type: ["info"] },
  token: { category: ["iam"], type: ["admin", "info"] },
  user: { category: ["iam"], type: ["user", "info"] },
  configuration: { category: ["configuration"], type: ["info"] },
  // Reads of the audit log (checkpoint, proofs, verification) through the API or the CLI.
  audit: { category: ["api"], type: ["access"] },
  system: { category: ["process"], type: ["info"] },
  alert: { category: ["intrusion_detection"], type: ["info"] },
};

/** The ECS categorization of an event (exported for the tests and the docs). */
export function ecsCategorization(event: AuditEvent): EcsCategorization {
  const mapped = ACTIONS[`${event.event}.${event.action}`] ?? CATEGORIES[event.event];
  // A failed web access is also an `error` (expected for the web category).
  const type =
    event.event === "package_access" && event.outcome === "failure"
      ? [...mapped.type, "error" as const]
      : mapped.type;
  // Alert rules are detections: ECS marks those with event.kind "alert".
  return { kind: event.event === "alert" ? "alert" : "event", category: mapped.category, type };
}

/** ECS allows only success, failure and unknown: a refusal is a failure (labels.outcome keeps "denied"). */
export function ecsOutcome(outcome: AuditOutcome): "success" | "failure" {
  return outcome === "success" ? "success" : "failure";
}

/**
 * `event.severity` is a number whose scale ECS leaves to the producer; it uses the CEF scale
 * (info 3, warning 6, error 8) so the ECS and CEF exports agree and higher means more severe.
 */
export function numericSeverity(severity: AuditSeverity): number {
  return severity === "info" ? 3 : severity === "warning" ? 6 : 8;
}

/**
 * The event as an ECS document (one NDJSON line for Elasticsearch's bulk API or Filebeat). The
 * whole envelope is kept under `package_broker.audit`: its canonical JSON is the Merkle leaf, so a
 * SIEM copy can still be checked against the log's inclusion proofs.
 */
export function toEcs(event: AuditEvent, product: ProductInfo): Record<string, unknown> {
  const { kind, category, type } = ecsCategorization(event);
  const address = storedAddress(event.ip_address);
  const isIp = address?.kind === "ipv4" || address?.kind === "ipv6";
  const target = event.target;
  const reason = event.details.reason;
  // `details.status` is the HTTP status of Composer's requests; other categories do not have one.
  const status = event.event === "package_access" ? event.details.status : undefined;

  // Optional members are assigned where they belong rather than spread from a temporary object
  // (`...(x ? {} : {x})`): same members in the same order, so the same JSON, without the copies.
  const ecsEvent: Record<string, unknown> = {
    id: event.id,
    kind,
    category,
    type,
    action: `${event.event}.${event.action}`,
    outcome: ecsOutcome(event.outcome),
    severity: numericSeverity(event.severity),
    sequence: event.seq,
    dataset: ECS_DATASET,
    module: ECS_MODULE,
    provider: product.product,
  };
  if (typeof reason === "string") ecsEvent.reason = reason;
  const related: Record<string, unknown> = { user: [event.user] };
  if (isIp) related.ip = [address.value];
  const packageBroker: Record<string, unknown> = { audit: event };
  if (address?.kind === "network") packageBroker.source = { ip_network: address.value };
  if (address?.kind === "hmac") packageBroker.source = { ip_hmac: address.value };

  const document: Record<string, unknown> = {
    "@timestamp": event.timestamp,
    ecs: { version: ECS_VERSION },
    event: ecsEvent,
    log: { level: event.severity },
    // The envelope has stable ids only (a token's fingerprint, `system`, `console`…), no names.
    user: { id: event.user },
    related,
    service: { name: product.product, version: product.version },
    labels: {
      outcome: event.outcome,
      actor_type: event.actor.type,
      auth_method: event.actor.auth_method,
    },
    package_broker: packageBroker,
  };
  if (isIp) document.source = { ip: address.value };
  if (event.user_agent !== null) document.user_agent = { original: event.user_agent };
  if (event.request_id !== null || typeof status === "number") {
    const http: Record<string, unknown> = {};
    if (event.request_id !== null) http.request = { id: event.request_id };
    if (typeof status === "number") http.response = { status_code: status };
    document.http = http;
  }
  if (target?.type === "package" && target.name !== undefined) {
    const pkg: Record<string, string> = { name: target.name };
    if (target.version !== undefined) pkg.version = target.version;
    document.package = pkg;
  }
  if (product.host !== undefined) document.host = { name: product.host };
  return document;
}
