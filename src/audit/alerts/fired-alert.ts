import type { AlertLevel, AlertResponseAction } from "./alert-rule.ts";

/** An event an alert rests on: enough to fetch it from the log and to prove it is there. */
export interface EvidenceRef {
  readonly id: string;
  readonly seq: number;
}

/** How many evidence events an alert names at most: the most recent ones. */
export const MAX_EVIDENCE = 50;

/** What AlertEvaluator.observe returns when a rule fires. */
export interface FiredAlert {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly title: string;
  readonly level: AlertLevel;
  /** The correlation's group-by fields and their values (`{"target.id": "usr_…"}`); `{}` for a base rule. */
  readonly groupKey: Readonly<Record<string, string>>;
  /** Events counted (event_count), distinct values (value_count), rules seen (temporal), 1 otherwise. */
  readonly count: number;
  /** The most recent events behind the alert, oldest first, at most MAX_EVIDENCE. */
  readonly evidence: readonly EvidenceRef[];
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly response?: AlertResponseAction;
  /** The token fingerprint or user id the response acts on, when the rule has a response and it is known. */
  readonly subject?: string;
}

/** The last MAX_EVIDENCE references, with the (effective) time each was seen. */
export class EvidenceTrail {
  #entries: { ref: EvidenceRef; atMs: number }[] = [];

  add(refs: readonly EvidenceRef[], atMs: number): void {
    for (const ref of refs.slice(-MAX_EVIDENCE)) this.#entries.push({ ref, atMs });
    if (this.#entries.length > MAX_EVIDENCE) this.#entries = this.#entries.slice(-MAX_EVIDENCE);
  }

  /** The references seen at or after `fromMs`. */
  since(fromMs: number): EvidenceRef[] {
    return this.#entries.filter((entry) => entry.atMs >= fromMs).map((entry) => entry.ref);
  }

  clear(): void {
    this.#entries = [];
  }

  get size(): number {
    return this.#entries.length;
  }
}
