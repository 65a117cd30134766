import { redactUrlPassword } from "../../config/redact-url-password.ts";
import type { AuditSinkParkedRow, AuditSinkRow } from "../../storage/database/audit-sink-records.ts";
import type { SinkCredentials } from "./sink-credentials.ts";
import type { SinkFormat, SinkType } from "./sink-transport.ts";

/** A sink as the API and the CLI show it: settings without secrets, and its delivery health. */
export interface SinkView {
  readonly id: string;
  readonly name: string;
  readonly type: SinkType;
  readonly url: string;
  readonly format: SinkFormat;
  readonly options: Readonly<Record<string, string | number | boolean>>;
  readonly credentials: {
    readonly token: boolean;
    readonly userinfo: boolean;
    readonly signingKeys: readonly {
      readonly keyId: string;
      readonly createdAt: string;
      readonly retiresAt: string | null;
    }[];
  };
  readonly paused: boolean;
  readonly pausedAt: string | null;
  /** The highest seq the receiver holds, and the largest checkpoint. */
  readonly cursor: number;
  readonly checkpointCursor: number;
  /** Records delivered since the sink was added. */
  readonly delivered: number;
  /** How far behind the log the receiver is: events, and the age of the oldest one it lacks. */
  readonly lag: { readonly events: number; readonly seconds: number };
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  /** Failed attempts in a row, and when the next one is due (null: now). */
  readonly failures: number;
  readonly nextAttemptAt: string | null;
  /** Records the receiver refused for good, set aside. */
  readonly parked: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SinkViewFacts {
  readonly credentials: SinkCredentials;
  readonly logSize: number;
  /** The timestamp of the first event after the cursor, or null when the receiver is caught up. */
  readonly oldestUndelivered: string | null;
  readonly parked: number;
  readonly now: Date;
}

export function sinkView(row: AuditSinkRow, facts: SinkViewFacts): SinkView {
  const lagSeconds =
    facts.oldestUndelivered === null
      ? 0
      : Math.max(0, Math.floor((facts.now.getTime() - Date.parse(facts.oldestUndelivered)) / 1000));
  return {
    id: row.id,
    name: row.name,
    type: row.type as SinkType,
    url: redactUrlPassword(row.url),
    format: row.format as SinkFormat,
    options: JSON.parse(row.options) as SinkView["options"],
    credentials: {
      token: facts.credentials.token !== undefined,
      userinfo: facts.credentials.userinfo !== undefined,
      signingKeys: (facts.credentials.secrets ?? []).map(({ keyId, createdAt, retiresAt }) => ({
        keyId,
        createdAt,
        retiresAt,
      })),
    },
    paused: row.paused_at !== null,
    pausedAt: row.paused_at,
    cursor: row.cursor,
    checkpointCursor: row.checkpoint_cursor,
    delivered: row.delivered,
    lag: { events: Math.max(0, facts.logSize - row.cursor), seconds: lagSeconds },
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    failures: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    parked: facts.parked,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A record a receiver refused for good. */
export interface ParkedRecordView {
  readonly recordId: string;
  readonly kind: "event" | "checkpoint";
  /** The event's seq, or the checkpoint's tree size. */
  readonly seq: number;
  readonly error: string;
  readonly parkedAt: string;
}

export function parkedView(row: AuditSinkParkedRow): ParkedRecordView {
  return {
    recordId: row.record_id,
    kind: row.kind === "checkpoint" ? "checkpoint" : "event",
    seq: row.seq,
    error: row.error,
    parkedAt: row.parked_at,
  };
}
