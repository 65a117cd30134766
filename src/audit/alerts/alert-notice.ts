import type { AlertRow } from "../../storage/database/alert-records.ts";
import type { EvidenceRef } from "./fired-alert.ts";

/** What a response to an alert did: suspend a token, lock an account. */
export interface AlertResponseOutcome {
  readonly action: string;
  readonly subject: string | null;
  readonly outcome: "done" | "failed" | "skipped";
  readonly error: string | null;
}

/** An alert as channels, the API and the CLI show it. */
export interface AlertNotice {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly title: string;
  readonly level: string;
  readonly group: Readonly<Record<string, string>>;
  readonly count: number;
  readonly evidence: readonly EvidenceRef[];
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly firedAt: string;
  readonly status: "open" | "acknowledged";
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly note: string | null;
  readonly response: AlertResponseOutcome | null;
  readonly notifications: readonly AlertNotification[];
}

/** One channel's delivery of an alert. */
export interface AlertNotification {
  readonly channel: string;
  readonly status: "sent" | "pending" | "failed";
  readonly attempts: number;
  readonly error: string | null;
  readonly sentAt: string | null;
  readonly nextAttemptAt: string | null;
}

export function alertNotice(row: AlertRow): AlertNotice {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    title: row.title,
    level: row.level,
    group: JSON.parse(row.group_key) as Record<string, string>,
    count: row.count,
    evidence: JSON.parse(row.evidence) as EvidenceRef[],
    firstTimestamp: row.first_timestamp,
    lastTimestamp: row.last_timestamp,
    firedAt: row.fired_at,
    status: row.status,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    note: row.note,
    response: row.response === null ? null : (JSON.parse(row.response) as AlertResponseOutcome),
    notifications: JSON.parse(row.notifications) as AlertNotification[],
  };
}

/** One line that says what happened: `[high] Brute force (target.name=alice@example.org, 12 events)`. */
export function alertSummary(notice: AlertNotice): string {
  const group = Object.entries(notice.group)
    .map(([field, value]) => `${field}=${value}`)
    .join(", ");
  const counted = `${notice.count} event${notice.count === 1 ? "" : "s"}`;
  return `[${notice.level}] ${notice.title} (${group === "" ? counted : `${group}, ${counted}`})`;
}
