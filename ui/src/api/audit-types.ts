/** Types of the audit log API (docs/audit-log.md, docs/audit-search.md) that the audit screens use. */

/** An audit event: the envelope of docs/audit-log.md, as the API returns it (every member is hashed). */
export interface AuditEnvelope {
  readonly schema_version: number;
  readonly id: string;
  readonly seq: number;
  readonly timestamp: string;
  readonly event: string;
  readonly action: string;
  readonly severity: string;
  readonly outcome: string;
  readonly user?: string;
  readonly actor: { readonly type: string; readonly id: string; readonly auth_method?: string };
  readonly ip_address?: string | null;
  readonly user_agent?: string | null;
  readonly request_id?: string | null;
  readonly target?: {
    readonly type?: string;
    readonly id?: string;
    readonly name?: string;
    readonly version?: string;
  } | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditEnvelopePage {
  readonly events: readonly AuditEnvelope[];
  readonly next_cursor: string | null;
}

/** GET /api/audit/events/{id}/proof. */
export interface AuditInclusionProof {
  readonly event: AuditEnvelope;
  readonly leafIndex: number;
  readonly leafHash: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly proof: readonly string[];
  readonly checkpoint: string | null;
}

/** The export formats of GET /api/audit/export (docs/audit-export.md). */
export const AUDIT_EXPORT_FORMATS = [
  { format: "jsonl", label: "JSON lines" },
  { format: "csv", label: "CSV" },
  { format: "ecs", label: "Elastic ECS" },
  { format: "ocsf", label: "OCSF" },
  { format: "cef", label: "CEF" },
  { format: "bundle", label: "Verifiable bundle" },
] as const;
