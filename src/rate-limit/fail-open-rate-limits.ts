import type { Logger } from "../observability/logger.ts";
import { logRateLimitsChecked, logRateLimitsUnchecked } from "../observability/log-events.ts";
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from "./rate-limiter.ts";

/**
 * The rate limits as requests see them: when the limiter fails (Redis down or slow), requests are
 * let through rather than refused, because a broken counter must not take every `composer
 * install` down with it. The first failure is logged, and so is the first success after it;
 * `unchecked` counts the requests let through unchecked (the metric pb_rate_limit_unchecked_requests).
 */
export class FailOpenRateLimits {
  readonly #limiter: RateLimiter;
  readonly #logger: Logger;
  #unchecked = 0;
  #failing = false;

  constructor(limiter: RateLimiter, logger: Logger) {
    this.#limiter = limiter;
    this.#logger = logger;
  }

  get policy(): RateLimitPolicy {
    return this.#limiter.policy;
  }

  /** Requests let through unchecked since the start. */
  get unchecked(): number {
    return this.#unchecked;
  }

  /** The limiter's decision, or null when it could not decide (the request goes through). */
  async check(key: string): Promise<RateLimitDecision | null> {
    try {
      const decision = await this.#limiter.hit(key);
      if (this.#failing) {
        this.#failing = false;
        logRateLimitsChecked(this.#logger, { unchecked: this.#unchecked });
      }
      return decision;
    } catch (error) {
      this.#unchecked += 1;
      if (!this.#failing) {
        this.#failing = true;
        logRateLimitsUnchecked(this.#logger, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      return null;
    }
  }

  close(): Promise<void> {
    return this.#limiter.close();
  }
}
