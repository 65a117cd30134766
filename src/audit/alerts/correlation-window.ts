import type { Correlation, FieldReader } from "./alert-rule.ts";
import { EvidenceTrail, MAX_EVIDENCE, type EvidenceRef } from "./fired-alert.ts";

/** A rule matched: a base rule on one event, or a correlation that fired. */
export interface RuleMatch {
  readonly ruleId: string;
  /** Effective event time (ms): never earlier than a previous event's. */
  readonly atMs: number;
  readonly firstMs: number;
  /** `{}` for a base rule; the group-by fields and their values for a correlation. */
  readonly groupKey: Readonly<Record<string, string>>;
  /** The group-by fields, then the fields of the event that made the match. */
  readonly read: FieldReader;
  readonly count: number;
  readonly evidence: readonly EvidenceRef[];
}

/** What a window reports when its condition is met; the window then starts afresh. */
export interface WindowFiring {
  readonly firstMs: number;
  readonly count: number;
  readonly evidence: readonly EvidenceRef[];
}

/**
 * The state of one correlation for one group. Every window keeps O(threshold + MAX_EVIDENCE)
 * entries at most, and forgets what is older than the timespan.
 */
export interface CorrelationWindow {
  add(match: RuleMatch): WindowFiring | null;
  /** Entries held (for memory accounting). */
  size(): number;
}

export function correlationWindow(correlation: Correlation): CorrelationWindow {
  switch (correlation.type) {
    case "event_count":
      return new EventCountWindow(correlation.threshold, correlation.timespanMs);
    case "value_count":
      return new ValueCountWindow(correlation.threshold, correlation.timespanMs, correlation.field ?? "");
    case "temporal":
      return new TemporalWindow(correlation.threshold, correlation.timespanMs);
    case "temporal_ordered":
      return new OrderedWindow(correlation.rules, correlation.timespanMs);
  }
}

/** `event_count`: the times of the last `threshold` matches suffice to know if `threshold` fit the window. */
class EventCountWindow implements CorrelationWindow {
  readonly #threshold: number;
  readonly #timespanMs: number;
  #times: number[] = [];
  readonly #evidence = new EvidenceTrail();

  constructor(threshold: number, timespanMs: number) {
    this.#threshold = threshold;
    this.#timespanMs = timespanMs;
  }

  add(match: RuleMatch): WindowFiring | null {
    const from = match.atMs - this.#timespanMs;
    this.#times.push(match.atMs);
    const keep = this.#times.findIndex((time) => time >= from);
    const drop = Math.max(keep === -1 ? this.#times.length : keep, this.#times.length - this.#threshold);
    if (drop > 0) this.#times = this.#times.slice(drop);
    this.#evidence.add(match.evidence, match.atMs);
    const first = this.#times[0];
    if (this.#times.length < this.#threshold || first === undefined) return null;
    const firing = { firstMs: first, count: this.#times.length, evidence: this.#evidence.since(first) };
    this.#times = [];
    this.#evidence.clear();
    return firing;
  }

  size(): number {
    return this.#times.length + this.#evidence.size;
  }
}

/**
 * `value_count`: each distinct value with when it was last seen, most recent last; only the
 * `threshold` most recent values can ever count, so no more are kept. Matches without the field
 * are not counted.
 */
class ValueCountWindow implements CorrelationWindow {
  readonly #threshold: number;
  readonly #timespanMs: number;
  readonly #field: string;
  readonly #lastSeen = new Map<string, number>();
  readonly #evidence = new EvidenceTrail();

  constructor(threshold: number, timespanMs: number, field: string) {
    this.#threshold = threshold;
    this.#timespanMs = timespanMs;
    this.#field = field;
  }

  add(match: RuleMatch): WindowFiring | null {
    const value = fieldValueText(match.read(this.#field));
    if (value === null) return null;
    this.#lastSeen.delete(value);
    this.#lastSeen.set(value, match.atMs);
    const from = match.atMs - this.#timespanMs;
    for (const [oldest, seen] of this.#lastSeen) {
      if (seen >= from && this.#lastSeen.size <= this.#threshold) break;
      this.#lastSeen.delete(oldest);
    }
    this.#evidence.add(match.evidence, match.atMs);
    if (this.#lastSeen.size < this.#threshold) return null;
    const firstMs = Math.min(...this.#lastSeen.values());
    const firing = { firstMs, count: this.#lastSeen.size, evidence: this.#evidence.since(firstMs) };
    this.#lastSeen.clear();
    this.#evidence.clear();
    return firing;
  }

  size(): number {
    return this.#lastSeen.size + this.#evidence.size;
  }
}

/** `temporal`: when each referenced rule last matched; fires when enough of them fit the window. */
class TemporalWindow implements CorrelationWindow {
  readonly #threshold: number;
  readonly #timespanMs: number;
  readonly #lastMatch = new Map<string, RuleMatch>();

  constructor(threshold: number, timespanMs: number) {
    this.#threshold = threshold;
    this.#timespanMs = timespanMs;
  }

  add(match: RuleMatch): WindowFiring | null {
    this.#lastMatch.set(match.ruleId, match);
    const from = match.atMs - this.#timespanMs;
    for (const [ruleId, seen] of this.#lastMatch) if (seen.firstMs < from) this.#lastMatch.delete(ruleId);
    if (this.#lastMatch.size < this.#threshold) return null;
    const matches = [...this.#lastMatch.values()].sort((a, b) => a.atMs - b.atMs);
    this.#lastMatch.clear();
    return {
      firstMs: Math.min(...matches.map((seen) => seen.firstMs)),
      count: matches.length,
      evidence: matches.flatMap((seen) => seen.evidence).slice(-MAX_EVIDENCE),
    };
  }

  size(): number {
    return this.#lastMatch.size;
  }
}

interface Chain {
  readonly startMs: number;
  readonly evidence: readonly EvidenceRef[];
}

/**
 * `temporal_ordered`: for each step, the latest-starting chain of matches of the steps up to it
 * (a later start leaves the most room in the window). A match extends the chain of the step
 * before its own; the steps are tried from the last, so one match never fills two steps.
 */
class OrderedWindow implements CorrelationWindow {
  readonly #steps: readonly string[];
  readonly #timespanMs: number;
  readonly #chains: (Chain | null)[];

  constructor(steps: readonly string[], timespanMs: number) {
    this.#steps = steps;
    this.#timespanMs = timespanMs;
    this.#chains = steps.map(() => null);
  }

  add(match: RuleMatch): WindowFiring | null {
    const from = match.atMs - this.#timespanMs;
    for (let step = this.#steps.length - 1; step >= 0; step--) {
      if (this.#steps[step] !== match.ruleId) continue;
      const previous = step === 0 ? null : this.#chains[step - 1];
      if (step === 0)
        this.#chains[0] = { startMs: match.firstMs, evidence: match.evidence.slice(-MAX_EVIDENCE) };
      else if (previous !== null && previous !== undefined && previous.startMs >= from) {
        const evidence = [...previous.evidence, ...match.evidence].slice(-MAX_EVIDENCE);
        this.#chains[step] = { startMs: previous.startMs, evidence };
      }
    }
    const complete = this.#chains[this.#steps.length - 1];
    if (complete === null || complete === undefined) return null;
    this.#chains.fill(null);
    return { firstMs: complete.startMs, count: this.#steps.length, evidence: complete.evidence };
  }

  size(): number {
    return this.#chains.reduce((total, chain) => total + (chain === null ? 0 : 1 + chain.evidence.length), 0);
  }
}

/** A field value as the text it is grouped or counted by; null when absent (not counted). */
export function fieldValueText(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}
