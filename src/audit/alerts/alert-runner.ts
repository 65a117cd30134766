import { createHash } from "node:crypto";
import type { Clock } from "../../clock/clock.ts";
import type { Logger } from "../../observability/logger.ts";
import type { AlertRecords, AlertRow } from "../../storage/database/alert-records.ts";
import type { AuditRecords } from "../../storage/database/audit-records.ts";
import type { AuditEvent, AuditSeverity } from "../audit-event.ts";
import { isPurged, rowToEvent } from "../audit-row.ts";
import type { AuditTrail } from "../audit-trail.ts";
import { retryDelayMs } from "../sinks/sink-backoff.ts";
import type { AlertChannel } from "./alert-channel.ts";
import { AlertEvaluator } from "./alert-evaluator.ts";
import { alertNotice, type AlertNotification } from "./alert-notice.ts";
import type { AlertResponder } from "./alert-responder.ts";
import type { AlertLevel, AlertRule } from "./alert-rule.ts";
import type { BusinessHours } from "./business-hours.ts";
import type { FiredAlert } from "./fired-alert.ts";

/** Events read per step. */
const PAGE = 1000;
/** A restart rebuilds the rules' windows from at most this many events before the cursor. */
export const MAX_REPLAY_EVENTS = 200_000;
/** Attempts per channel before a notification is given up (each alert is also an audit event). */
export const MAX_NOTIFICATION_ATTEMPTS = 8;

export interface AlertRunnerOptions {
  readonly records: AlertRecords;
  readonly audit: AuditRecords;
  readonly rules: readonly AlertRule[];
  /** Read every round: a change of the business hours rebuilds the rules' state. */
  readonly businessHours: () => Promise<BusinessHours>;
  readonly channels: readonly AlertChannel[];
  readonly responder: AlertResponder;
  /** The system's trail: each alert is an `alert`/`raised` event. */
  readonly trail: AuditTrail;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** How long one channel delivery may take. */
  readonly sendTimeoutMs: number;
}

/**
 * Runs the alert rules over the audit log as it grows: reads the events after its cursor (the
 * log is the stream, so a restart loses nothing), and for each alert stores it, records it as an
 * `alert` event with its evidence, takes the rule's response, and notifies every channel
 * (retried with backoff when a channel fails). On start, and when the business hours change, the
 * rules' windows are rebuilt by replaying the events of the longest window before the cursor.
 */
export class AlertRunner {
  readonly #options: AlertRunnerOptions;
  readonly #longestWindowMs: number;
  #evaluator: { readonly instance: AlertEvaluator; readonly hours: string } | null = null;

  constructor(options: AlertRunnerOptions) {
    this.#options = options;
    this.#longestWindowMs = Math.max(
      0,
      ...options.rules.map((rule) =>
        Math.max(rule.kind === "correlation" ? rule.correlation.timespanMs : 0, rule.suppressMs ?? 0),
      ),
    );
  }

  /** One round: evaluate new events, then retry pending notifications. Returns the alerts raised. */
  async run(signal: AbortSignal = new AbortController().signal): Promise<AlertRow[]> {
    const raised: AlertRow[] = [];
    let cursor = await this.#options.records.cursor();
    const evaluator = await this.#evaluatorAt(cursor);
    for (;;) {
      if (signal.aborted) break;
      const rows = await this.#options.audit.range(cursor + 1, PAGE);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (isPurged(row)) continue;
        for (const fired of evaluator.observe(rowToEvent(row))) {
          const alert = await this.#raise(fired, signal);
          if (alert !== null) raised.push(alert);
        }
      }
      cursor = rows.at(-1)?.seq ?? cursor;
      await this.#options.records.advance(cursor);
      if (rows.length < PAGE) break;
    }
    await this.#retryNotifications(signal);
    return raised;
  }

  /** The evaluator, rebuilt when there is none yet or the business hours changed. */
  async #evaluatorAt(cursor: number): Promise<AlertEvaluator> {
    const hours = await this.#options.businessHours();
    const key = JSON.stringify(hours);
    if (this.#evaluator?.hours === key) return this.#evaluator.instance;
    let instance: AlertEvaluator;
    try {
      instance = new AlertEvaluator(this.#options.rules, { businessHours: hours });
    } catch (error) {
      this.#options.logger.error({ error }, "Invalid business hours; alert rules use the default ones");
      instance = new AlertEvaluator(this.#options.rules);
    }
    instance.replay(await this.#recentEvents(cursor));
    this.#evaluator = { instance, hours: key };
    return instance;
  }

  /** The events of the longest window up to the cursor (at most MAX_REPLAY_EVENTS), oldest first. */
  async #recentEvents(cursor: number): Promise<AuditEvent[]> {
    if (cursor === 0 || this.#longestWindowMs === 0) return [];
    const [last] = await this.#options.audit.timesBefore(cursor + 1, 1);
    if (last === undefined) return [];
    const from = Date.parse(last.timestamp) - this.#longestWindowMs;
    let start = last.seq;
    while (cursor - start < MAX_REPLAY_EVENTS) {
      const page = await this.#options.audit.timesBefore(start, PAGE);
      const older = page.findIndex((entry) => Date.parse(entry.timestamp) < from);
      if (older >= 0) {
        start = page[older - 1]?.seq ?? start;
        break;
      }
      const oldest = page.at(-1);
      if (oldest === undefined) break;
      start = oldest.seq;
    }
    const events: AuditEvent[] = [];
    for (let next = start; next <= cursor;) {
      const rows = await this.#options.audit.range(next, Math.min(PAGE, cursor - next + 1));
      if (rows.length === 0) break;
      for (const row of rows) if (!isPurged(row)) events.push(rowToEvent(row));
      next = (rows.at(-1)?.seq ?? cursor) + 1;
    }
    return events;
  }

  async #raise(fired: FiredAlert, signal: AbortSignal): Promise<AlertRow | null> {
    const now = this.#options.clock.now().toISOString();
    const row: AlertRow = {
      id: alertId(fired),
      rule_id: fired.ruleId,
      rule_name: fired.ruleName,
      title: fired.title,
      level: fired.level,
      group_key: JSON.stringify(fired.groupKey),
      count: fired.count,
      evidence: JSON.stringify(fired.evidence),
      first_timestamp: fired.firstTimestamp,
      last_timestamp: fired.lastTimestamp,
      fired_at: now,
      status: "open",
      acknowledged_at: null,
      acknowledged_by: null,
      note: null,
      response: null,
      notifications: JSON.stringify(
        this.#options.channels.map((channel): AlertNotification => ({
          channel: channel.name,
          status: "pending",
          attempts: 0,
          error: null,
          sentAt: null,
          nextAttemptAt: now,
        })),
      ),
      notify_pending: this.#options.channels.length > 0 ? 1 : 0,
    };
    // Raised before a crash that kept the cursor back: stored, recorded and sent then.
    if (!(await this.#options.records.insert(row))) return null;
    const response = await this.#options.responder.respond(fired);
    if (response !== null) await this.#options.records.setResponse(row.id, JSON.stringify(response));
    await this.#options.trail.record({
      event: "alert",
      action: "raised",
      outcome: "success",
      severity: severityOf(fired.level),
      target: { type: "alert", id: row.id, name: fired.title },
      details: {
        rule_id: fired.ruleId,
        rule_name: fired.ruleName,
        level: fired.level,
        group: fired.groupKey,
        count: fired.count,
        evidence_ids: fired.evidence.map((ref) => ref.id),
        evidence_seqs: fired.evidence.map((ref) => ref.seq),
        first_timestamp: fired.firstTimestamp,
        last_timestamp: fired.lastTimestamp,
        ...(response === null ? {} : { response }),
      },
    });
    const stored = { ...row, response: response === null ? null : JSON.stringify(response) };
    await this.#notify(stored, signal);
    return (await this.#options.records.findById(row.id)) ?? stored;
  }

  async #retryNotifications(signal: AbortSignal): Promise<void> {
    for (const row of await this.#options.records.withPendingWork(50)) {
      if (signal.aborted) return;
      await this.#notify(row, signal);
    }
  }

  /** Sends to each channel whose delivery is pending and due; records how each went. */
  async #notify(row: AlertRow, signal: AbortSignal): Promise<void> {
    const notice = alertNotice(row);
    const now = this.#options.clock.now();
    const updated: AlertNotification[] = [];
    for (const notification of notice.notifications) {
      const channel = this.#options.channels.find((candidate) => candidate.name === notification.channel);
      const due =
        notification.nextAttemptAt === null || Date.parse(notification.nextAttemptAt) <= now.getTime();
      if (notification.status !== "pending" || channel === undefined || !due || signal.aborted) {
        updated.push(notification);
        continue;
      }
      updated.push(await this.#send(channel, notice, notification, signal));
    }
    const pending = updated.some((notification) => notification.status === "pending");
    await this.#options.records.setNotifications(row.id, JSON.stringify(updated), pending);
  }

  async #send(
    channel: AlertChannel,
    notice: ReturnType<typeof alertNotice>,
    notification: AlertNotification,
    signal: AbortSignal,
  ): Promise<AlertNotification> {
    const attempts = notification.attempts + 1;
    try {
      await channel.send(notice, AbortSignal.any([signal, AbortSignal.timeout(this.#options.sendTimeoutMs)]));
      const sentAt = this.#options.clock.now().toISOString();
      return { ...notification, status: "sent", attempts, error: null, sentAt, nextAttemptAt: null };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#options.logger.warn(
        { context: { alert: notice.id, channel: channel.name, attempts, error: message } },
        "Alert notification failed",
      );
      if (attempts >= MAX_NOTIFICATION_ATTEMPTS) {
        return { ...notification, status: "failed", attempts, error: message, nextAttemptAt: null };
      }
      const next = this.#options.clock.now().getTime() + retryDelayMs(attempts, this.#options.random);
      return { ...notification, attempts, error: message, nextAttemptAt: new Date(next).toISOString() };
    }
  }
}

/** The same alert (rule, group, last evidence event) always gets the same id. */
function alertId(fired: FiredAlert): string {
  const last = fired.evidence.at(-1)?.id ?? fired.lastTimestamp;
  const digest = createHash("sha256")
    .update(`${fired.ruleId}\n${JSON.stringify(fired.groupKey)}\n${last}`)
    .digest("hex");
  return `alt_${digest.slice(0, 26)}`;
}

function severityOf(level: AlertLevel): AuditSeverity {
  return level === "critical" || level === "high" ? "error" : level === "medium" ? "warning" : "info";
}
