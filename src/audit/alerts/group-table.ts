/**
 * Per-group state of one rule, least recently active first. Groups idle for longer than the
 * rule's timespan are dropped as time moves on; past `maxGroups` the least recently active group
 * is dropped (an attack spread over more groups than that is partly forgotten: the documented
 * price of bounded memory). Time only moves forward (the evaluator clamps it).
 */
export class GroupTable<State> {
  readonly #idleMs: number;
  readonly #maxGroups: number;
  readonly #groups = new Map<string, { state: State; lastMs: number }>();
  #evicted = 0;

  constructor(idleMs: number, maxGroups: number) {
    this.#idleMs = idleMs;
    this.#maxGroups = maxGroups;
  }

  /** The group's state (created with `create` when absent), now marked active at `nowMs`. */
  touch(key: string, nowMs: number, create: () => State): State {
    this.expire(nowMs);
    const entry = this.#groups.get(key);
    this.#groups.delete(key);
    const state = entry?.state ?? create();
    this.#groups.set(key, { state, lastMs: nowMs });
    while (this.#groups.size > this.#maxGroups) {
      const oldest = this.#groups.keys().next();
      if (oldest.done === true) break;
      this.#groups.delete(oldest.value);
      this.#evicted++;
    }
    return state;
  }

  get(key: string): State | undefined {
    return this.#groups.get(key)?.state;
  }

  /** Drops the groups idle since before `nowMs - idleMs`. */
  expire(nowMs: number): void {
    for (const [key, entry] of this.#groups) {
      if (entry.lastMs >= nowMs - this.#idleMs) break;
      this.#groups.delete(key);
    }
  }

  get size(): number {
    return this.#groups.size;
  }

  /** How many groups were dropped because of `maxGroups` (not because they went idle). */
  get evicted(): number {
    return this.#evicted;
  }

  states(): State[] {
    return [...this.#groups.values()].map((entry) => entry.state);
  }
}
