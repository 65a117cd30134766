import type { Clock } from "../../clock/clock.ts";
import { conflict, invalidInput } from "../../errors/domain-error.ts";
import type {
  AuditPurgeRecords,
  CategoryRetentionStats,
} from "../../storage/database/audit-purge-records.ts";
import { PURGE_JOB } from "../../jobs/background-job-catalog.ts";
import { JobLease } from "../../jobs/job-lease.ts";
import type { JobLeaseRecords } from "../../storage/database/job-lease-records.ts";
import type { SettingsRecords } from "../../storage/database/settings-records.ts";
import { auditCategories, type AuditCategory } from "../audit-event.ts";
import type { AuditTrail } from "../audit-trail.ts";
import {
  legalHoldFrom,
  parseRetentionChange,
  retentionDaysFrom,
  type LegalHold,
  type RetentionDays,
} from "./retention-policy.ts";

const POLICY_KEY = "audit.retention";
const HOLD_KEY = "audit.legal_hold";
/** Events per purge transaction: short locks, whatever the backlog. */
const BATCH = 1000;
const DAY_MS = 86_400_000;
/** Long enough for any batch; a holder that dies frees the job after this. */
const LEASE_MS = 10 * 60_000;
const MAX_REASON_LENGTH = 500;

export interface RetentionStatus {
  readonly days: RetentionDays;
  readonly legalHold: LegalHold;
  readonly categories: readonly (Omit<CategoryRetentionStats, "category"> & {
    readonly category: AuditCategory;
    /** Events older than this lose their payload at the next purge. */
    readonly purgeBefore: string;
  })[];
}

/** A sink, as far as retention cares: how far its receiver got. */
export interface SinkPosition {
  readonly id: string;
  readonly name: string;
  /** The highest seq the receiver holds. */
  readonly cursor: number;
}

export interface PurgeReport {
  readonly trigger: "manual" | "schedule";
  readonly purged: number;
  /**
   * Categories with events old enough to purge that stay because a sink has not received them
   * yet (the purge waits for the slowest receiver; see docs/audit-forwarding.md).
   */
  readonly heldForSinks: readonly AuditCategory[];
  readonly categories: readonly {
    readonly category: AuditCategory;
    readonly before: string;
    readonly purged: number;
    readonly firstSeq: number | null;
    readonly lastSeq: number | null;
  }[];
}

/**
 * Retention of the audit log: a number of days per category (default 365), a global legal hold,
 * and the purge that clears the payload of events older than their category's days while their
 * leaf hashes stay (so `audit verify` and every proof of a retained event still pass). Every
 * policy change, hold change and purge is itself an `audit` event; a purge under legal hold is
 * refused, and recorded as refused.
 */
export class AuditRetention {
  readonly #settings: SettingsRecords;
  readonly #purges: AuditPurgeRecords;
  /** Every purge runs under it: one purge at a time across processes and nodes. */
  readonly #lease: JobLease;
  readonly #clock: Clock;

  readonly #sinks: () => Promise<readonly SinkPosition[]>;

  constructor(options: {
    settings: SettingsRecords;
    purges: AuditPurgeRecords;
    leases: JobLeaseRecords;
    clock: Clock;
    /** The audit sinks' cursors: nothing a sink has not received is purged. */
    sinks?: () => Promise<readonly SinkPosition[]>;
  }) {
    this.#settings = options.settings;
    this.#purges = options.purges;
    this.#lease = new JobLease({
      name: PURGE_JOB,
      leases: options.leases,
      clock: options.clock,
      leaseMs: LEASE_MS,
    });
    this.#clock = options.clock;
    this.#sinks = options.sinks ?? (() => Promise.resolve([]));
  }

  async days(): Promise<RetentionDays> {
    return retentionDaysFrom(await this.#settings.get(POLICY_KEY));
  }

  async legalHold(): Promise<LegalHold> {
    return legalHoldFrom(await this.#settings.get(HOLD_KEY));
  }

  async status(): Promise<RetentionStatus> {
    const [days, legalHold, stats] = await Promise.all([this.days(), this.legalHold(), this.#purges.stats()]);
    const now = this.#clock.now().getTime();
    const byCategory = new Map(stats.map((row) => [row.category, row]));
    return {
      days,
      legalHold,
      categories: auditCategories.map((category) => ({
        category,
        retained: byCategory.get(category)?.retained ?? 0,
        purged: byCategory.get(category)?.purged ?? 0,
        oldestRetained: byCategory.get(category)?.oldestRetained ?? null,
        purgeBefore: new Date(now - days[category] * DAY_MS).toISOString(),
      })),
    };
  }

  /** Changes the days of some categories; recorded with before and after. */
  async setDays(trail: AuditTrail, change: unknown): Promise<RetentionDays> {
    const parsed = parseRetentionChange(change);
    const before = await this.days();
    const after = { ...before, ...parsed };
    await this.#settings.put(POLICY_KEY, after, this.#clock.now());
    await trail.record({
      event: "audit",
      action: "retention_changed",
      outcome: "success",
      severity: "warning",
      target: { type: "audit_retention" },
      details: {
        changed: Object.fromEntries(
          Object.entries(parsed).map(([category, days]) => [
            category,
            { before: before[category as AuditCategory], after: days },
          ]),
        ),
      },
    });
    return after;
  }

  async hold(trail: AuditTrail, reason: string): Promise<LegalHold> {
    const text = reason.trim();
    if (text === "" || text.length > MAX_REASON_LENGTH) {
      throw invalidInput(
        "InvalidReason",
        `a legal hold needs a reason of 1 to ${MAX_REASON_LENGTH} characters`,
        {
          field: "reason",
        },
      );
    }
    const current = await this.legalHold();
    if (current.active) {
      throw conflict("LegalHoldActive", `a legal hold is already in force since ${current.since ?? "?"}`);
    }
    const hold: LegalHold = {
      active: true,
      reason: text,
      since: this.#clock.now().toISOString(),
      by: trail.context.actor.id,
    };
    await this.#settings.put(HOLD_KEY, hold, this.#clock.now());
    await trail.record({
      event: "audit",
      action: "legal_hold_placed",
      outcome: "success",
      severity: "warning",
      target: { type: "audit_retention" },
      details: { reason: text },
    });
    return hold;
  }

  async release(trail: AuditTrail): Promise<LegalHold> {
    const current = await this.legalHold();
    if (!current.active) throw conflict("NoLegalHold", "no legal hold is in force");
    const released: LegalHold = { active: false, reason: null, since: null, by: null };
    await this.#settings.put(HOLD_KEY, released, this.#clock.now());
    await trail.record({
      event: "audit",
      action: "legal_hold_released",
      outcome: "success",
      severity: "warning",
      target: { type: "audit_retention" },
      details: { reason: current.reason, since: current.since, placed_by: current.by },
    });
    return released;
  }

  /**
   * Purges every category's events older than its days. A manual purge under legal hold, or
   * while another purge runs, is refused (409) and recorded as refused; the scheduled one just
   * skips (it runs again later). A purge that cleared something is recorded with, per category,
   * the cut-off, the count and the seq range.
   */
  async purge(trail: AuditTrail, trigger: PurgeReport["trigger"]): Promise<PurgeReport | null> {
    const refuse = async (code: string, message: string): Promise<null> => {
      if (trigger === "schedule") return null;
      await trail.record({
        event: "audit",
        action: "retention_purged",
        outcome: "denied",
        target: { type: "audit_retention" },
        details: { trigger, code },
      });
      throw conflict(code, message);
    };
    const hold = await this.legalHold();
    if (hold.active) {
      return refuse(
        "LegalHoldActive",
        `a legal hold is in force since ${hold.since ?? "?"}: nothing may be purged`,
      );
    }
    const start = this.#clock.now();
    if (!(await this.#lease.hold())) {
      return refuse("PurgeRunning", "another purge is running; try again when it has finished");
    }
    let error: unknown = null;
    let report: PurgeReport | null = null;
    try {
      const sinks = await this.#sinks();
      const done = await this.#purgeAll(start, trigger, lowestCursor(sinks));
      report = done;
      if (report.heldForSinks.length > 0) await this.#recordHeld(trail, report, sinks);
      if (report.purged > 0 || trigger === "manual") {
        await trail.record({
          event: "audit",
          action: "retention_purged",
          outcome: "success",
          severity: report.purged > 0 ? "warning" : "info",
          target: { type: "audit_retention" },
          details: {
            trigger,
            purged: report.purged,
            categories: report.categories.map((entry) => ({
              category: entry.category,
              before: entry.before,
              purged: entry.purged,
              first_seq: entry.firstSeq,
              last_seq: entry.lastSeq,
            })),
          },
        });
      }
      return done;
    } catch (caught) {
      error = caught;
      throw caught;
    } finally {
      await this.#lease.record(start, error === null ? { summary: purgeSummary(report) } : { error });
      await this.#lease.release(error === null ? null : errorText(error));
    }
  }

  async #purgeAll(now: Date, trigger: PurgeReport["trigger"], upToSeq: number | null): Promise<PurgeReport> {
    const days = await this.days();
    const purgedAt = now.toISOString();
    const categories: PurgeReport["categories"][number][] = [];
    const heldForSinks: AuditCategory[] = [];
    for (const category of auditCategories) {
      const before = new Date(now.getTime() - days[category] * DAY_MS).toISOString();
      let purged = 0;
      let firstSeq: number | null = null;
      let lastSeq: number | null = null;
      for (;;) {
        const batch = await this.#purges.purgeBatch(category, before, purgedAt, BATCH, upToSeq);
        purged += batch.count;
        firstSeq = lowest(firstSeq, batch.firstSeq);
        lastSeq = highest(lastSeq, batch.lastSeq);
        if (batch.found < BATCH) break;
      }
      if (purged > 0) categories.push({ category, before, purged, firstSeq, lastSeq });
      if (upToSeq !== null && (await this.#purges.hasRetainedBefore(category, before, upToSeq))) {
        heldForSinks.push(category);
      }
    }
    const total = categories.reduce((sum, entry) => sum + entry.purged, 0);
    return { trigger, purged: total, categories, heldForSinks };
  }

  /** An `audit` warning naming the sinks the purge waits for; alert rules watch for it. */
  async #recordHeld(trail: AuditTrail, report: PurgeReport, sinks: readonly SinkPosition[]): Promise<void> {
    const floor = lowestCursor(sinks) ?? 0;
    await trail.record({
      event: "audit",
      action: "retention_held_for_sinks",
      outcome: "success",
      severity: "warning",
      target: { type: "audit_retention" },
      details: {
        trigger: report.trigger,
        categories: report.heldForSinks,
        kept_from_seq: floor + 1,
        sinks: sinks
          .filter((sink) => sink.cursor === floor)
          .slice(0, 20)
          .map((sink) => ({ id: sink.id, name: sink.name, cursor: sink.cursor })),
      },
    });
  }
}

function lowestCursor(sinks: readonly SinkPosition[]): number | null {
  return sinks.length === 0 ? null : Math.min(...sinks.map((sink) => sink.cursor));
}

function lowest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function highest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** What a purge did, for the job's history. */
function purgeSummary(report: PurgeReport | null): Record<string, unknown> {
  if (report === null) return {};
  return {
    trigger: report.trigger,
    purged: report.purged,
    heldForSinks: report.heldForSinks,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
