import type { Clock } from "../../clock/clock.ts";
import { conflict, invalidInput, notFound } from "../../errors/domain-error.ts";
import type { AlertRecords } from "../../storage/database/alert-records.ts";
import type { AuditTrail } from "../audit-trail.ts";
import { alertNotice, type AlertNotice } from "./alert-notice.ts";
import type { AlertRule } from "./alert-rule.ts";
import { exportSigmaRules } from "./sigma-export.ts";

/** The most alerts one page lists. */
export const MAX_ALERTS_LISTED = 500;
const MAX_NOTE_LENGTH = 1000;

/** A page of alerts, newest first, and the cursor of the next page (null: no more). */
export interface AlertPage {
  readonly alerts: readonly AlertNotice[];
  readonly nextCursor: string | null;
}

/**
 * Alerts as people read them (`/api/alerts`, `package-broker alerts`): list, show with evidence,
 * acknowledge (an `alert`/`acknowledged` event), and the rules in force, also as Sigma.
 */
export class AlertInbox {
  readonly #records: AlertRecords;
  readonly #rules: readonly AlertRule[];
  readonly #clock: Clock;

  constructor(options: { records: AlertRecords; rules: readonly AlertRule[]; clock: Clock }) {
    this.#records = options.records;
    this.#rules = options.rules;
    this.#clock = options.clock;
  }

  async list(query: {
    readonly status?: "open" | "acknowledged" | undefined;
    readonly limit?: number | undefined;
    readonly cursor?: string | undefined;
  }): Promise<AlertPage> {
    const limit = Math.min(query.limit ?? 50, MAX_ALERTS_LISTED);
    const before = query.cursor === undefined ? undefined : parseCursor(query.cursor);
    const rows = await this.#records.list({
      limit: limit + 1,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(before === undefined ? {} : { before }),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      alerts: page.map(alertNotice),
      nextCursor: rows.length > limit && last !== undefined ? `${last.fired_at}|${last.id}` : null,
    };
  }

  async get(id: string): Promise<AlertNotice> {
    const row = await this.#records.findById(id);
    if (row === null) throw notFound("AlertNotFound", `no alert has the id ${JSON.stringify(id)}`);
    return alertNotice(row);
  }

  /** Marks an open alert as seen and handled; its `alert`/`acknowledged` event names who. */
  async acknowledge(id: string, note: string | null, trail: AuditTrail): Promise<AlertNotice> {
    if (note !== null && note.length > MAX_NOTE_LENGTH) {
      throw invalidInput("InvalidNote", `a note has at most ${MAX_NOTE_LENGTH} characters`);
    }
    const alert = await this.get(id);
    const at = this.#clock.now().toISOString();
    if (!(await this.#records.acknowledge(id, trail.context.actor.id, at, note))) {
      throw conflict(
        "AlertAcknowledged",
        `the alert was acknowledged already, at ${alert.acknowledgedAt ?? "?"}`,
      );
    }
    await trail.record({
      event: "alert",
      action: "acknowledged",
      outcome: "success",
      target: { type: "alert", id, name: alert.title },
      details: { rule_id: alert.ruleId, ...(note === null ? {} : { note }) },
    });
    return this.get(id);
  }

  /** How many alerts nobody acknowledged yet. */
  openCount(): Promise<number> {
    return this.#records.countOpen();
  }

  rules(): readonly AlertRule[] {
    return this.#rules;
  }

  /** The rules in force as Sigma YAML, for a SOC to run in its own SIEM. */
  sigma(): string {
    return exportSigmaRules(this.#rules);
  }
}

function parseCursor(cursor: string): { firedAt: string; id: string } {
  const [firedAt, id, extra] = cursor.split("|");
  if (firedAt === undefined || id === undefined || extra !== undefined || !/^alt_[0-9a-f]{26}$/.test(id)) {
    throw invalidInput("InvalidCursor", "the cursor is not one this server gave out");
  }
  return { firedAt, id };
}
