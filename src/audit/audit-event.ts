/** The version of the event envelope; part of every leaf. See schemas/audit-event.v1.json. */
export const AUDIT_SCHEMA_VERSION = 1;

export const auditCategories = [
  "authentication",
  "package_access",
  "repository",
  "package",
  "token",
  "user",
  "configuration",
  "audit",
  "system",
  "alert",
] as const;
export type AuditCategory = (typeof auditCategories)[number];

export type AuditSeverity = "info" | "warning" | "error";
export type AuditOutcome = "success" | "failure" | "denied";

export type ActorType = "token" | "user" | "system" | "anonymous" | "console";
export type AuthMethod = "basic" | "bearer" | "session" | "cli" | "none";

export interface AuditActor {
  readonly type: ActorType;
  /** Token fingerprint, user id, `system`, `console` or `anonymous`. Never a secret. */
  readonly id: string;
  readonly auth_method: AuthMethod;
}

export interface AuditTarget {
  readonly type: string;
  readonly id?: string;
  readonly name?: string;
  readonly version?: string;
}

export type AuditDetails = Readonly<Record<string, unknown>>;

/** Where an event came from: filled by the HTTP layer, or by the CLI/system for their events. */
export interface AuditContext {
  readonly actor: AuditActor;
  /** Already reduced according to PB_AUDIT_IP_MODE. */
  readonly ipAddress: string | null;
  /**
   * The raw client address, only when PB_AUDIT_RAW_IP_DAYS keeps it (sealed beside the event,
   * never in it).
   */
  readonly rawIpAddress?: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

/** What the code that performs an action records. */
export interface AuditEventInput {
  readonly event: AuditCategory;
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly severity?: AuditSeverity;
  readonly target?: AuditTarget | null;
  readonly details?: AuditDetails;
}

/** A stored event: the envelope of docs/audit-log.md. Its canonical JSON is the Merkle leaf. */
export interface AuditEvent {
  readonly schema_version: number;
  readonly id: string;
  readonly seq: number;
  readonly timestamp: string;
  readonly event: AuditCategory;
  readonly action: string;
  readonly severity: AuditSeverity;
  readonly outcome: AuditOutcome;
  readonly user: string;
  readonly actor: AuditActor;
  readonly ip_address: string | null;
  readonly user_agent: string | null;
  readonly request_id: string | null;
  readonly target: AuditTarget | null;
  readonly details: AuditDetails;
}

export const systemActor: AuditActor = { type: "system", id: "system", auth_method: "none" };
export const consoleActor: AuditActor = { type: "console", id: "console", auth_method: "cli" };
export const anonymousActor: AuditActor = { type: "anonymous", id: "anonymous", auth_method: "none" };

export const systemContext: AuditContext = {
  actor: systemActor,
  ipAddress: null,
  userAgent: null,
  requestId: null,
};
export const consoleContext: AuditContext = {
  actor: consoleActor,
  ipAddress: null,
  userAgent: null,
  requestId: null,
};
