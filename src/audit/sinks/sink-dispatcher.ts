import type { Clock } from "../../clock/clock.ts";
import type { Logger } from "../../observability/logger.ts";
import type { AuditRecords } from "../../storage/database/audit-records.ts";
import type { AuditSinkRecords, AuditSinkRow } from "../../storage/database/audit-sink-records.ts";
import type { AuditTrail } from "../audit-trail.ts";
import { retryDelayMs } from "./sink-backoff.ts";
import { nextSinkBatch, type SinkBatch } from "./sink-batch.ts";
import { readSinkBacklog } from "./sink-backlog.ts";
import type { SinkTransportPool } from "./sink-transport-pool.ts";
import type { DeliveryResult, SinkRecord } from "./sink-transport.ts";
import { sinkRecordId } from "./sink-transport.ts";

/** The longest error text kept for a sink or a parked record. */
const MAX_ERROR_LENGTH = 1_000;
/** Batches one sink may deliver in one round before the next sink's turn. */
const BATCHES_PER_ROUND = 20;

export interface SinkDispatcherOptions {
  readonly sinks: AuditSinkRecords;
  readonly audit: AuditRecords;
  readonly transports: SinkTransportPool;
  readonly clock: Clock;
  /** In [0, 1): the jitter of the backoff. */
  readonly random: () => number;
  /** The system's trail: a parked record is an `audit` event. */
  readonly trail: AuditTrail;
  readonly logger: Logger;
  /** How long one delivery attempt may take before it is aborted and retried. */
  readonly attemptTimeoutMs: number;
}

/** What the dispatcher remembers between attempts of one sink (lost on restart, harmlessly). */
interface SinkMemory {
  /** Records of a partly held batch still to send, and the batch they belong to. */
  pending: PendingBatch | undefined;
  /** While a refused batch is being split: the most records per batch, until the cursor passes `until`. */
  split: { readonly limit: number; readonly until: number } | undefined;
}

/** What one round of delivery did, over every sink. */
export interface SinkRoundTally {
  /** Records the receivers acknowledged. */
  delivered: number;
  /** Attempts that failed and wait their backoff. */
  failedAttempts: number;
  /** Records the receivers refused for good. */
  parked: number;
}

interface PendingBatch {
  readonly fromCursor: number;
  readonly batch: SinkBatch;
  readonly records: readonly SinkRecord[];
}

/**
 * Delivers the audit log to every sink: the log is the outbox, each sink's cursor says what its
 * receiver holds. In seq order, at least once; a transient failure waits (exponential backoff
 * with jitter, or the receiver's Retry-After) and resends; a refused batch is split in halves
 * until the one record that fails is found, and that record is parked (with an `audit` event)
 * while the sink goes on. Cursors and backoff live in the database, so a restart resumes.
 */
export class SinkDispatcher {
  readonly #options: SinkDispatcherOptions;
  readonly #memory = new Map<string, SinkMemory>();
  /** What the round in progress did (rounds never overlap: one scheduler runs them). */
  #tally: SinkRoundTally = { delivered: 0, failedAttempts: 0, parked: 0 };

  constructor(options: SinkDispatcherOptions) {
    this.#options = options;
  }

  /**
   * One round: every sink that is not paused and not waiting gets up to BATCHES_PER_ROUND
   * batches. Resolves when the round is over; a failing sink never stops the others (its error
   * is recorded on it, and it waits its backoff).
   * `stillMine` is asked before each attempt (the scheduler renews its lease there); false ends
   * the round.
   */
  async deliverDue(
    signal: AbortSignal = new AbortController().signal,
    stillMine: () => Promise<boolean> = () => Promise.resolve(true),
  ): Promise<SinkRoundTally> {
    this.#tally = { delivered: 0, failedAttempts: 0, parked: 0 };
    const sinks = await this.#options.sinks.list();
    const known = new Set(sinks.map((sink) => sink.id));
    for (const id of this.#memory.keys()) if (!known.has(id)) this.#memory.delete(id);
    await this.#options.transports.retainOnly(sinks);
    for (const sink of sinks) {
      if (signal.aborted) break;
      if (!this.#due(sink)) continue;
      await this.#deliverSink(sink, signal, stillMine);
    }
    return this.#tally;
  }

  #due(sink: AuditSinkRow): boolean {
    if (sink.paused_at !== null) return false;
    return sink.next_attempt_at === null || sink.next_attempt_at <= this.#options.clock.now().toISOString();
  }

  async #deliverSink(
    initial: AuditSinkRow,
    signal: AbortSignal,
    stillMine: () => Promise<boolean>,
  ): Promise<void> {
    let sink = initial;
    for (let round = 0; round < BATCHES_PER_ROUND; round += 1) {
      if (signal.aborted || !(await stillMine())) return;
      let progressed: boolean;
      try {
        progressed = await this.#attempt(sink, signal);
      } catch (error) {
        // Not the receiver: the transport cannot be built (its sealed credentials no longer open,
        // its stored options are refused) or the log cannot be read. Visible on the sink, retried.
        this.#options.logger.error({ error, context: { sink: sink.id } }, "Audit sink delivery failed");
        await this.#fail(sink, error instanceof Error ? error.message : String(error), undefined);
        return;
      }
      if (!progressed) return;
      const reread = await this.#options.sinks.findById(sink.id);
      if (reread === null || !this.#due(reread)) return;
      sink = reread;
    }
  }

  /** One attempt; true when the sink moved on and may have more to send now. */
  async #attempt(sink: AuditSinkRow, signal: AbortSignal): Promise<boolean> {
    const transport = this.#options.transports.get(sink);
    const memory = this.#memoryOf(sink.id);
    if (memory.split !== undefined && sink.cursor >= memory.split.until) memory.split = undefined;
    const pending = memory.pending?.fromCursor === sink.cursor ? memory.pending : undefined;
    memory.pending = undefined;
    let batch: SinkBatch;
    let records: readonly SinkRecord[];
    if (pending === undefined) {
      const backlog = await readSinkBacklog(this.#options.audit, sink, transport.maxBatch);
      batch = nextSinkBatch(backlog, Math.min(transport.maxBatch, memory.split?.limit ?? Infinity));
      records = batch.records;
    } else {
      ({ batch, records } = pending);
    }
    if (batch.cursor === sink.cursor && batch.checkpointCursor === sink.checkpoint_cursor) return false;
    if (records.length === 0) return this.#advance(sink, batch, 0);
    const result = await this.#send(transport, records, signal);
    return this.#settle(sink, batch, records, result);
  }

  async #send(
    transport: ReturnType<SinkTransportPool["get"]>,
    records: readonly SinkRecord[],
    signal: AbortSignal,
  ): Promise<DeliveryResult> {
    const attempt = AbortSignal.any([signal, AbortSignal.timeout(this.#options.attemptTimeoutMs)]);
    try {
      return await transport.deliver(records, attempt);
    } catch (error) {
      // A transport bug must not stop the sink for good: it is retried like a network failure.
      return { kind: "retry", error: error instanceof Error ? error.message : String(error) };
    }
  }

  async #settle(
    sink: AuditSinkRow,
    batch: SinkBatch,
    records: readonly SinkRecord[],
    result: DeliveryResult,
  ): Promise<boolean> {
    const memory = this.#memoryOf(sink.id);
    switch (result.kind) {
      case "delivered":
        return this.#advance(sink, batch, batch.records.length);
      case "retry": {
        if (result.remaining !== undefined) {
          const remaining = new Set(result.remaining);
          const left = records.filter((record) => remaining.has(sinkRecordId(record)));
          if (left.length === 0) return this.#advance(sink, batch, batch.records.length);
          memory.pending = { fromCursor: sink.cursor, batch, records: left };
        }
        await this.#fail(sink, result.error, result.retryAfterMs);
        return false;
      }
      case "rejected": {
        if (result.rejected !== undefined && result.rejected.length > 0) {
          await this.#park(sink, batch, result.rejected);
          return this.#advance(sink, batch, batch.records.length - result.rejected.length);
        }
        const only = records.length === 1 ? records[0] : undefined;
        if (only === undefined) {
          memory.split = { limit: Math.ceil(records.length / 2), until: Math.max(batch.cursor, sink.cursor) };
          return true;
        }
        await this.#park(sink, batch, [{ id: sinkRecordId(only), error: result.error }]);
        return this.#advance(sink, batch, batch.records.length - 1);
      }
    }
  }

  async #advance(sink: AuditSinkRow, batch: SinkBatch, delivered: number): Promise<boolean> {
    const moved = await this.#options.sinks.advance(sink.id, {
      fromCursor: sink.cursor,
      cursor: batch.cursor,
      checkpointCursor: batch.checkpointCursor,
      delivered,
      at: this.#options.clock.now().toISOString(),
    });
    if (moved) this.#tally.delivered += delivered;
    return moved;
  }

  async #fail(sink: AuditSinkRow, error: string, retryAfterMs: number | undefined): Promise<void> {
    this.#tally.failedAttempts += 1;
    const now = this.#options.clock.now();
    const attempts = sink.attempts + 1;
    const delay = retryDelayMs(attempts, this.#options.random, retryAfterMs);
    await this.#options.sinks.recordFailure(sink.id, {
      error: truncate(error),
      at: now.toISOString(),
      attempts,
      nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
    });
    this.#options.logger.warn(
      { context: { sink: sink.id, attempts, retryInMs: delay, error: truncate(error) } },
      "Audit sink delivery will be retried",
    );
  }

  async #park(
    sink: AuditSinkRow,
    batch: SinkBatch,
    refused: readonly { readonly id: string; readonly error: string }[],
  ): Promise<void> {
    this.#tally.parked += refused.length;
    const parkedAt = this.#options.clock.now().toISOString();
    const rows = refused.map(({ id, error }) => ({
      sink_id: sink.id,
      record_id: id,
      seq: batch.positions.get(id) ?? 0,
      kind: id.startsWith("checkpoint-") ? "checkpoint" : "event",
      error: truncate(error),
      parked_at: parkedAt,
    }));
    await this.#options.sinks.park(rows);
    for (const row of rows) {
      await this.#options.trail.record({
        event: "audit",
        action: "sink_record_parked",
        outcome: "failure",
        severity: "warning",
        target: { type: "audit_sink", id: sink.id, name: sink.name },
        details: { record_id: row.record_id, kind: row.kind, seq: row.seq, error: row.error },
      });
    }
  }

  #memoryOf(id: string): SinkMemory {
    let memory = this.#memory.get(id);
    if (memory === undefined) {
      memory = { pending: undefined, split: undefined };
      this.#memory.set(id, memory);
    }
    return memory;
  }
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}
