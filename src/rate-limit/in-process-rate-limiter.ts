import type { Clock } from "../clock/clock.ts";
import { gcraStep } from "./gcra.ts";
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from "./rate-limiter.ts";

/** Keys tracked at most; the least recently seen key is forgotten first (and starts afresh). */
export const DEFAULT_MAX_KEYS = 100_000;

/**
 * Rate limits counted in this process (one node without Redis): GCRA state per key in a map kept
 * in least-recently-used order and bounded to `maxKeys`, so a flood of addresses cannot grow it.
 */
export class InProcessRateLimiter implements RateLimiter {
  readonly policy: RateLimitPolicy;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #tats = new Map<string, number>();

  constructor(options: { policy: RateLimitPolicy; clock: Clock; maxKeys?: number }) {
    this.policy = options.policy;
    this.#clock = options.clock;
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  hit(key: string): Promise<RateLimitDecision> {
    const nowUs = this.#clock.now().getTime() * 1000;
    const stored = this.#tats.get(key);
    const step = gcraStep(this.policy, stored ?? null, nowUs);
    if (step.newTatUs !== null) {
      this.#tats.delete(key);
      this.#tats.set(key, step.newTatUs);
      this.#evict(nowUs);
    }
    return Promise.resolve(step.decision);
  }

  /** Keys tracked now (for tests of the bound). */
  get size(): number {
    return this.#tats.size;
  }

  close(): Promise<void> {
    this.#tats.clear();
    return Promise.resolve();
  }

  #evict(nowUs: number): void {
    for (const [key, tat] of this.#tats) {
      if (this.#tats.size <= this.#maxKeys && tat > nowUs) return;
      this.#tats.delete(key);
    }
  }
}
