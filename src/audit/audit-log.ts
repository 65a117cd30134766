import { newId } from "../ids/new-id.ts";
import type { Clock } from "../clock/clock.ts";
import type { AuditRecords, NewAuditRow, AuditState } from "../storage/database/audit-records.ts";
import {
  AUDIT_SCHEMA_VERSION,
  type AuditContext,
  type AuditEvent,
  type AuditEventInput,
} from "./audit-event.ts";
import { eventToRow } from "./audit-row.ts";
import { canonicalJson } from "./integrity/canonical-json.ts";
import { leafHash, MerkleAccumulator } from "./integrity/merkle.ts";
import type { SealedRawIp } from "../storage/database/raw-ip-records.ts";

interface Pending {
  readonly input: AuditEventInput;
  readonly context: AuditContext;
  readonly timestamp: string;
  readonly resolve: (event: AuditEvent) => void;
  readonly reject: (error: unknown) => void;
}

export interface AuditLogOptions {
  readonly records: AuditRecords;
  readonly clock: Clock;
  /**
   * Called after each commit with the new tree state (the checkpointer decides what to do). Work
   * it returns as a promise is awaited by `flush()`, so a process can finish it before closing
   * the database.
   */
  readonly onCommitted?: (state: AuditState, root: Buffer) => Promise<unknown> | undefined;
  /**
   * Runs each commit, which takes the database's write lock. The workers of `serve` take turns
   * (the primary hands them out): a better-sqlite3 call that waits for SQLite's lock stops the
   * whole event loop, while waiting for a turn does not. Default: commit at once.
   */
  readonly exclusive?: (<T>(commit: () => Promise<T>) => Promise<T>) | undefined;
  /** Seals the raw client addresses that contexts carry (PB_AUDIT_RAW_IP_DAYS > 0). */
  readonly rawIps?: RawIpSealer | undefined;
}

/** What the log needs of the raw IP vault (privacy/raw-ip-vault.ts). */
export interface RawIpSealer {
  /** Loads the keys of the days of these timestamps, before the transaction that seals. */
  prepare(timestamps: readonly string[]): Promise<void>;
  /** Seals synchronously, inside the append transaction. */
  seal(seq: number, ip: string, timestamp: string): SealedRawIp;
}

/**
 * The audit log's write side. `append()` resolves only once its event is committed. Events that
 * arrive while a commit runs wait for the next one and share it (group commit): one transaction,
 * one fsync, for all of them. Seq numbers are assigned inside the transaction, under the lock, so
 * they stay contiguous whichever process or node appends.
 */
export class AuditLog {
  readonly #records: AuditRecords;
  readonly #clock: Clock;
  readonly #onCommitted: AuditLogOptions["onCommitted"];
  readonly #exclusive: <T>(commit: () => Promise<T>) => Promise<T>;
  readonly #rawIps: RawIpSealer | undefined;
  readonly #afterCommit = new Set<Promise<unknown>>();
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;

  constructor(options: AuditLogOptions) {
    this.#records = options.records;
    this.#clock = options.clock;
    this.#onCommitted = options.onCommitted;
    this.#exclusive = options.exclusive ?? ((commit) => commit());
    this.#rawIps = options.rawIps;
  }

  append(input: AuditEventInput, context: AuditContext): Promise<AuditEvent> {
    return new Promise<AuditEvent>((resolve, reject) => {
      this.#queue.push({ input, context, timestamp: this.#clock.now().toISOString(), resolve, reject });
      this.#schedule();
    });
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
      const vault = this.#rawIps;
      const sealing = vault === undefined ? [] : batch.filter((pending) => pending.context.rawIpAddress);
      if (vault !== undefined) await vault.prepare(sealing.map((pending) => pending.timestamp));
      const events: AuditEvent[] = [];
      let root: Buffer = Buffer.alloc(0);
      const state = await this.#records.append((current) => {
        const built = buildRows(current, batch);
        events.splice(0, events.length, ...built.events);
        root = built.root;
        const rawIps =
          vault === undefined
            ? []
            : built.events.flatMap((event, index) => {
                const raw = batch[index]?.context.rawIpAddress;
                return raw ? [vault.seal(event.seq, raw, event.timestamp)] : [];
              });
        return { rows: built.rows, state: built.state, rawIps };
      });
      batch.forEach((pending, index) => {
        const event = events[index];
        if (event !== undefined) pending.resolve(event);
      });
      this.#track(this.#onCommitted?.(state, root));
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

function buildRows(
  current: AuditState,
  batch: readonly Pending[],
): { rows: NewAuditRow[]; events: AuditEvent[]; state: AuditState; root: Buffer } {
  const tree = MerkleAccumulator.fromState(current);
  const rows: NewAuditRow[] = [];
  const events: AuditEvent[] = [];
  for (const pending of batch) {
    const event: AuditEvent = {
      schema_version: AUDIT_SCHEMA_VERSION,
      id: newId(),
      seq: tree.size + 1,
      timestamp: pending.timestamp,
      event: pending.input.event,
      action: pending.input.action,
      severity: pending.input.severity ?? (pending.input.outcome === "success" ? "info" : "warning"),
      outcome: pending.input.outcome,
      user: pending.context.actor.id,
      actor: pending.context.actor,
      ip_address: pending.context.ipAddress,
      user_agent: pending.context.userAgent,
      request_id: pending.context.requestId,
      target: pending.input.target ?? null,
      details: pending.input.details ?? {},
    };
    const leaf = leafHash(Buffer.from(canonicalJson(event), "utf8"));
    tree.append(leaf);
    rows.push(eventToRow(event, leaf.toString("hex")));
    events.push(event);
  }
  return { rows, events, state: tree.toState(), root: tree.root() };
}
