import type { AuditState } from "../storage/database/audit-records.ts";
import {
  AUDIT_SCHEMA_VERSION,
  type AuditContext,
  type AuditEvent,
  type AuditEventInput,
} from "./audit-event.ts";

/**
 * An event as appended, before a commit gives it an id and a seq. Plain data: it crosses to the
 * commit thread (thread-audit-committer.ts) by structured clone.
 */
export interface AuditEntry {
  readonly input: AuditEventInput;
  readonly context: AuditContext;
  readonly timestamp: string;
}

/** What a commit assigned: the entries' ids in order (their seqs end at `state.size`), the new tree. */
export interface CommittedBatch {
  readonly ids: readonly string[];
  readonly state: AuditState;
  readonly root: Buffer;
}

/** Commits a batch of entries as consecutive events, in one transaction (AuditLog groups them). */
export interface AuditCommitter {
  commit(entries: readonly AuditEntry[]): Promise<CommittedBatch>;
  /** Waits for the commit in progress, then lets go of what the committer holds. */
  close(): Promise<void>;
}

/** The stored event of an entry: the same on both sides of the commit thread. */
export function composeAuditEvent(entry: AuditEntry, id: string, seq: number): AuditEvent {
  const { input, context } = entry;
  return {
    schema_version: AUDIT_SCHEMA_VERSION,
    id,
    seq,
    timestamp: entry.timestamp,
    event: input.event,
    action: input.action,
    severity: input.severity ?? (input.outcome === "success" ? "info" : "warning"),
    outcome: input.outcome,
    user: context.actor.id,
    actor: context.actor,
    ip_address: context.ipAddress,
    user_agent: context.userAgent,
    request_id: context.requestId,
    target: input.target ?? null,
    details: input.details ?? {},
  };
}
