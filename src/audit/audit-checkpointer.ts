import type { Clock } from "../clock/clock.ts";
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
 */
export class AuditCheckpointer {
  readonly #records: AuditRecords;
  readonly #signer: NoteSigner;
  readonly #origin: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #policy: CheckpointPolicy;
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
  }) {
    this.#records = options.records;
    this.#signer = options.signer;
    this.#origin = options.origin;
    this.#clock = options.clock;
    // Checkpoints are written whatever PB_LOG_LEVEL says: the copy outside the database is what
    // lets a verifier catch a rewrite of the whole table.
    this.#logger = options.logger.child({}, { level: "info" });
    this.#policy = options.policy;
  }

  get origin(): string {
    return this.#origin;
  }

  start(): void {
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
        this.#lastSize = state.size;
        await this.#store(state.size, root);
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
    await this.#pending;
    return this.#signCurrent();
  }

  /** The tree as stored now, which may be ahead of this process's own commits. */
  async #signCurrent(): Promise<AuditCheckpointRow | null> {
    const latest = await this.#records.latestCheckpoint();
    const state = await this.#records.state();
    this.#lastSize = Math.max(this.#lastSize, latest?.size ?? 0);
    if (state.size === 0 || state.size <= (latest?.size ?? 0)) return latest;
    this.#lastSize = state.size;
    return this.#store(state.size, MerkleAccumulator.fromState(state).root());
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.checkpointNow();
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
