/** What one node knows about an upstream's recent answers (docs/proxy.md, "When an upstream is down"). */
export interface UpstreamHealthState {
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly lastError: string | null;
  readonly consecutiveFailures: number;
  /** While set and in the future, the upstream is not asked. */
  readonly coolingDownUntil: string | null;
}

export interface FailureBudget {
  /** Consecutive failures after which the upstream is left alone for a cool-down. */
  readonly maxConsecutiveFailures: number;
  /** The first cool-down; each further failure after it doubles it. */
  readonly coolDownMs: number;
  readonly maxCoolDownMs: number;
}

export const DEFAULT_FAILURE_BUDGET: FailureBudget = {
  maxConsecutiveFailures: 5,
  coolDownMs: 60_000,
  maxCoolDownMs: 600_000,
};

const HEALTHY: UpstreamHealthState = {
  lastSuccessAt: null,
  lastFailureAt: null,
  lastError: null,
  consecutiveFailures: 0,
  coolingDownUntil: null,
};

/**
 * The failure budget of each upstream, kept in this process: after `maxConsecutiveFailures`
 * failures in a row an upstream is not asked until its cool-down ends (the first request after it
 * is a probe: another failure doubles the cool-down, up to `maxCoolDownMs`); a success resets it.
 * Each node of a cluster keeps its own.
 */
export class UpstreamHealth {
  readonly #budget: FailureBudget;
  readonly #states = new Map<string, UpstreamHealthState>();

  constructor(budget: FailureBudget = DEFAULT_FAILURE_BUDGET) {
    this.#budget = budget;
  }

  state(repositoryId: string): UpstreamHealthState {
    return this.#states.get(repositoryId) ?? HEALTHY;
  }

  /** False while the upstream cools down. */
  available(repositoryId: string, now: Date): boolean {
    const until = this.state(repositoryId).coolingDownUntil;
    return until === null || Date.parse(until) <= now.getTime();
  }

  succeeded(repositoryId: string, now: Date): void {
    this.#states.set(repositoryId, {
      ...this.state(repositoryId),
      lastSuccessAt: now.toISOString(),
      consecutiveFailures: 0,
      coolingDownUntil: null,
    });
  }

  failed(repositoryId: string, now: Date, error: string): void {
    const before = this.state(repositoryId);
    const failures = before.consecutiveFailures + 1;
    const over = failures - this.#budget.maxConsecutiveFailures;
    const coolDown =
      over < 0
        ? null
        : Math.min(this.#budget.coolDownMs * 2 ** Math.min(over, 30), this.#budget.maxCoolDownMs);
    this.#states.set(repositoryId, {
      ...before,
      lastFailureAt: now.toISOString(),
      lastError: error,
      consecutiveFailures: failures,
      coolingDownUntil: coolDown === null ? null : new Date(now.getTime() + coolDown).toISOString(),
    });
  }
}
