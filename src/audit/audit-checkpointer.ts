import type { Clock } from "../clock/clock.ts";
import type { JobLease } from "../jobs/job-lease.ts";
import type { Logger } from "../observability/logger.ts";
import type { AuditCheckpointRow, AuditRecords, AuditState } from "../storage/database/audit-records.ts";
import { signCheckpoint } from "./integrity/checkpoint.ts";
import { MerkleAccumulator } from "./integrity/merkle.ts";
import type { NoteSigner } from "./integrity/signed-note.ts";

export interface CheckpointPolicy {
  /** Sign when this many events were appended since the last checkpoint. */
  readonly everyEvents: number;
  /** Sign at least this often while events keep coming. */
  readonly everyMs: number;
}

/**
 * Signs checkpoints of the audit log's Merkle tree (C2SP tlog-checkpoint notes, Ed25519): every
 * `everyEvents` events, every `everyMs` when there are new events, and at shutdown. Each one is
 * stored and written to the operational log, so a copy exists outside the database.
 *
 * With a `lease`, only the process holding it signs, so that of several nodes on one database one
 * signs at a time: a started checkpointer (a server) keeps the lease, renewing it at every tick,
 * and hands it over at `stop()` (or when it dies, once it expires); one that never started (a CLI
 * command) takes it just for the signature and gives it back. Each signature is a run in the
 * job's history.
 */
export class AuditCheckpointer {
  readonly #records: AuditRecords;
  readonly #signer: NoteSigner;
  readonly #origin: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #policy: CheckpointPolicy;
  readonly #lease: JobLease | undefined;
  #started = false;
  #lastSize = -1;
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<unknown> = Promise.resolve();

  constructor(options: {
    records: AuditRecords;
    signer: NoteSigner;
    origin: string;
    clock: Clock;
    logger: Logger;
    policy: CheckpointPolicy;
    lease?: JobLease | undefined;
  }) {
    this.#records = options.records;
    this.#signer = options.signer;
    this.#origin = options.origin;
    this.#clock = options.clock;
    // Checkpoints are written whatever PB_LOG_LEVEL says: the copy outside the database is what
    // lets a verifier catch a rewrite of the whole table.
    this.#logger = options.logger.child({}, { level: "info" });
    this.#policy = options.policy;
    this.#lease = options.lease;
  }

  get origin(): string {
    return this.#origin;
  }

  start(): void {
    this.#started = true;
    this.#timer = setInterval(() => {
      void this.checkpointNow().catch((error: unknown) => {
        this.#logger.error({ error }, "Audit checkpoint failed");
      });
    }, this.#policy.everyMs);
    this.#timer.unref();
  }

  /**
   * Called by the audit log after each commit, with the committed tree. Until the size of the
   * latest checkpoint is known (`checkpointNow` learns it; a process that never called it, such as
   * a CLI command, learns it here on its first commit), it is read from the database first.
   */
  committed(state: AuditState, root: Buffer): Promise<unknown> | undefined {
    if (this.#lastSize >= 0 && state.size - this.#lastSize < this.#policy.everyEvents) return undefined;
    this.#pending = this.#pending
      .then(async () => {
        if (this.#lastSize < 0) this.#lastSize = (await this.#records.latestCheckpoint())?.size ?? 0;
        if (state.size - this.#lastSize < this.#policy.everyEvents) return;
        // Not asked again for the next `everyEvents` events when another process holds the
        // lease: it signs on its timer.
        this.#lastSize = state.size;
        await this.#underLease(() => this.#store(state.size, root));
      })
      .catch((error: unknown) => {
        this.#logger.error({ error }, "Audit checkpoint failed");
      });
    return this.#pending;
  }

  /**
   * Told that commits of another process (a worker of `serve`, for which this primary signs)
   * took the log to `size`: signs the current tree when at least `everyEvents` events were
   * appended since the last checkpoint.
   */
  reached(size: number): Promise<unknown> | undefined {
    if (this.#lastSize >= 0 && size - this.#lastSize < this.#policy.everyEvents) return undefined;
    this.#pending = this.#pending
      .then(async () => {
        if (this.#lastSize < 0) this.#lastSize = (await this.#records.latestCheckpoint())?.size ?? 0;
        if (size - this.#lastSize < this.#policy.everyEvents) return;
        await this.#signCurrent();
      })
      .catch((error: unknown) => {
        this.#logger.error({ error }, "Audit checkpoint failed");
      });
    return this.#pending;
  }

  /** Signs the current tree when it grew since the last checkpoint; returns the latest checkpoint. */
  async checkpointNow(): Promise<AuditCheckpointRow | null> {
    // On the same chain as the signatures commits start: one signature at a time in a process.
    const signed = this.#pending.then(() => this.#signCurrent());
    this.#pending = signed.catch(() => undefined);
    return signed;
  }

  /** The tree as stored now, which may be ahead of this process's own commits. */
  async #signCurrent(): Promise<AuditCheckpointRow | null> {
    // A server renews its lease here at every tick, new events or not: the job stays where it is.
    const kept = this.#started ? this.#lease : undefined;
    if (kept !== undefined && !(await kept.hold())) return this.#records.latestCheckpoint();
    const held = kept !== undefined;
    const latest = await this.#records.latestCheckpoint();
    const state = await this.#records.state();
    this.#lastSize = Math.max(this.#lastSize, latest?.size ?? 0);
    if (state.size === 0 || state.size <= (latest?.size ?? 0)) return latest;
    this.#lastSize = state.size;
    const root = MerkleAccumulator.fromState(state).root();
    const signed = await this.#underLease(() => this.#store(state.size, root), held);
    return signed ?? (await this.#records.latestCheckpoint());
  }

  /**
   * Runs `sign` if this process holds (or takes) the lease, and records it; null when it may not.
   * `held`: the lease was renewed just before.
   */
  async #underLease(
    sign: () => Promise<AuditCheckpointRow>,
    held = false,
  ): Promise<AuditCheckpointRow | null> {
    const lease = this.#lease;
    if (lease === undefined) return sign();
    const startedAt = this.#clock.now();
    if (!held && !(await lease.hold())) return null;
    try {
      const checkpoint = await sign();
      await lease.record(startedAt, { summary: { size: checkpoint.size } });
      return checkpoint;
    } finally {
      if (!this.#started) await lease.release();
    }
  }

  /** Stops the timer, signs a last checkpoint, and hands the lease over. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.checkpointNow();
    if (this.#started) await this.#lease?.release();
    this.#started = false;
  }

  async #store(size: number, root: Buffer): Promise<AuditCheckpointRow> {
    const note = signCheckpoint({ origin: this.#origin, size, rootHash: root }, this.#signer);
    const checkpoint = {
      size,
      rootHash: root.toString("hex"),
      note,
      createdAt: this.#clock.now().toISOString(),
    };
    await this.#records.addCheckpoint(checkpoint);
    this.#logger.info(
      { context: { size, rootHash: checkpoint.rootHash, checkpoint: note } },
      "Audit checkpoint",
    );
    return checkpoint;
  }
}
