import { randomUUID } from "node:crypto";
import type { LockLease, SharedLocks } from "./shared-locks.ts";

interface Held {
  readonly token: string;
  expiresAt: number;
}

/** Locks within this process: what a single node without Redis uses. */
export class InProcessLocks implements SharedLocks {
  readonly #held = new Map<string, Held>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  tryAcquire(name: string, ttlMs: number): Promise<LockLease | null> {
    const current = this.#held.get(name);
    if (current !== undefined && current.expiresAt > this.#now()) return Promise.resolve(null);
    const held: Held = { token: randomUUID(), expiresAt: this.#now() + ttlMs };
    this.#held.set(name, held);
    const owns = (): boolean => this.#held.get(name)?.token === held.token && held.expiresAt > this.#now();
    return Promise.resolve({
      name,
      renew: (next: number) => {
        if (!owns()) return Promise.resolve(false);
        held.expiresAt = this.#now() + next;
        return Promise.resolve(true);
      },
      release: () => {
        const owned = owns();
        if (this.#held.get(name)?.token === held.token) this.#held.delete(name);
        return Promise.resolve(owned);
      },
    });
  }

  close(): Promise<void> {
    this.#held.clear();
    return Promise.resolve();
  }
}
