import type { Clock } from "../clock/clock.ts";
import type { AuditRecords, AuditState } from "../storage/database/audit-records.ts";
import type { AuditCategory, AuditContext, AuditEvent, AuditEventInput } from "./audit-event.ts";
import { composeAuditEvent, type AuditCommitter, type AuditEntry } from "./audit-committer.ts";
import { InlineAuditCommitter, type RawIpSealer } from "./inline-audit-committer.ts";

interface Pending extends AuditEntry {
  readonly resolve: (event: AuditEvent) => void;
  readonly reject: (error: unknown) => void;
}

interface AuditLogCommon {
  readonly clock: Clock;
  /**
   * Called after each commit with the new tree state (the checkpointer decides what to do). Work
   * it returns as a promise is awaited by `flush()`, so a process can finish it before closing
   * the database.
   */
  readonly onCommitted?: ((state: AuditState, root: Buffer) => Promise<unknown> | undefined) | undefined;
  /**
   * Runs each commit, which takes the database's write lock. The workers of `serve` take turns
   * (the primary hands them out): a better-sqlite3 call that waits for SQLite's lock stops the
   * whole event loop, while waiting for a turn does not. Default: commit at once.
   */
  readonly exclusive?: (<T>(commit: () => Promise<T>) => Promise<T>) | undefined;
}

/**
 * Where commits run: a committer (the thread of `serve` on SQLite, thread-audit-committer.ts),
 * or, as a shorthand, the records (and raw IP vault) to commit to on this connection.
 */
export type AuditLogOptions = AuditLogCommon &
  (
    | { readonly committer: AuditCommitter }
    | {
        readonly records: AuditRecords;
        /** Seals the raw client addresses that contexts carry (PB_AUDIT_RAW_IP_DAYS > 0). */
        readonly rawIps?: RawIpSealer | undefined;
      }
  );

/**
 * The audit log's write side. `append()` resolves only once its event is committed. Events that
 * arrive while a commit runs wait for the next one and share it (group commit): one transaction,
 * one fsync, for all of them. Seq numbers are assigned inside the transaction, under the lock, so
 * they stay contiguous whichever process or node appends.
 */
export class AuditLog {
  readonly #committer: AuditCommitter;
  readonly #clock: Clock;
  readonly #onCommitted: AuditLogOptions["onCommitted"];
  readonly #exclusive: <T>(commit: () => Promise<T>) => Promise<T>;
  readonly #afterCommit = new Set<Promise<unknown>>();
  readonly #appendObservers = new Set<(categories: readonly AuditCategory[]) => void>();
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;

  constructor(options: AuditLogOptions) {
    this.#committer =
      "committer" in options ? options.committer : new InlineAuditCommitter(options.records, options.rawIps);
    this.#clock = options.clock;
    this.#onCommitted = options.onCommitted;
    this.#exclusive = options.exclusive ?? ((commit) => commit());
  }

  append(input: AuditEventInput, context: AuditContext): Promise<AuditEvent> {
    return new Promise<AuditEvent>((resolve, reject) => {
      this.#queue.push({ input, context, timestamp: this.#clock.now().toISOString(), resolve, reject });
      this.#schedule();
    });
  }

  /** Calls `observer` after each commit with the categories of the events it committed (metrics). */
  observeAppends(observer: (categories: readonly AuditCategory[]) => void): void {
    this.#appendObservers.add(observer);
  }

  #schedule(): void {
    if (this.#draining !== null) return;
    this.#draining = new Promise<void>((started) => {
      // Let the appends of this turn of the event loop join the first commit.
      setImmediate(started);
    })
      .then(() => this.#drain())
      .finally(() => {
        this.#draining = null;
        // Appends made by code that resumed when its event committed arrive after the drain loop
        // saw an empty queue: they need a new drain.
        if (this.#queue.length > 0) this.#schedule();
      });
  }

  /**
   * Resolves when every event appended so far is committed (or has failed), and the work
   * `onCommitted` started for them is done.
   */
  async flush(): Promise<void> {
    while (this.#draining !== null || this.#afterCommit.size > 0) {
      await Promise.all([this.#draining, ...this.#afterCommit]);
    }
  }

  /** `flush()`, then closes the committer (its thread and connection, where it has them). */
  async close(): Promise<void> {
    await this.flush();
    await this.#committer.close();
  }

  /**
   * One commit per drain. What is appended meanwhile (also by code that resumed when its own
   * event committed) waits for the next drain, which `#schedule` starts after a `setImmediate`:
   * timers and I/O run between two commits. A loop here would commit for ever under steady
   * appends and starve the event loop (found by bench/audit-append: its timers never fired).
   */
  async #drain(): Promise<void> {
    try {
      await this.#exclusive(() => this.#commitQueue());
    } catch (error) {
      // No turn to commit (the primary of `serve` is gone): what waits for one fails.
      const batch = this.#queue;
      this.#queue = [];
      for (const pending of batch) pending.reject(error);
    }
  }

  /** Commits what is queued now: taken once the turn is ours, so what came while waiting joins. */
  async #commitQueue(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      const entries = batch.map(({ input, context, timestamp }) => ({ input, context, timestamp }));
      const { ids, state, root } = await this.#committer.commit(entries);
      const firstSeq = state.size - batch.length + 1;
      batch.forEach((pending, index) => {
        const id = ids[index];
        if (id !== undefined) pending.resolve(composeAuditEvent(pending, id, firstSeq + index));
      });
      this.#track(this.#onCommitted?.(state, root));
      const categories = batch.map((pending) => pending.input.event);
      for (const observer of this.#appendObservers) observer(categories);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  #track(work: Promise<unknown> | undefined): void {
    if (work === undefined) return;
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.#afterCommit.add(settled);
    void settled.then(() => this.#afterCommit.delete(settled));
  }
}
