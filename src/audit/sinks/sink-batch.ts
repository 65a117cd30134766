import type { AuditEvent } from "../audit-event.ts";
import type { CheckpointRecord, SinkRecord } from "./sink-transport.ts";
import { sinkRecordId } from "./sink-transport.ts";

/** What was read after a sink's cursors: events (null for a purged seq) and checkpoints. */
export interface SinkBacklog {
  /** Ascending by seq; a purged event (its payload gone) is `{ seq, event: null }`. */
  readonly events: readonly { readonly seq: number; readonly event: AuditEvent | null }[];
  /** Ascending by tree size. */
  readonly checkpoints: readonly CheckpointRecord[];
  readonly cursor: number;
  readonly checkpointCursor: number;
}

/** One delivery: the records, and the cursors once the receiver holds them. */
export interface SinkBatch {
  readonly records: readonly SinkRecord[];
  /** The seq of each event record, by record id; a checkpoint's tree size for a checkpoint. */
  readonly positions: ReadonlyMap<string, number>;
  readonly cursor: number;
  readonly checkpointCursor: number;
  /** Purged events the batch passes over: their payload is gone, nothing is left to send. */
  readonly skipped: number;
}

/**
 * The next batch of a sink: its backlog in delivery order, at most `limit` records. A checkpoint
 * goes right after the last event it covers (or first, when it covers only delivered events:
 * it was signed after they went), so a receiver never holds a checkpoint before its events.
 */
export function nextSinkBatch(backlog: SinkBacklog, limit: number): SinkBatch {
  const records: SinkRecord[] = [];
  const positions = new Map<string, number>();
  let cursor = backlog.cursor;
  let checkpointCursor = backlog.checkpointCursor;
  let skipped = 0;
  let next = 0;
  const take = (record: SinkRecord, position: number): void => {
    records.push(record);
    positions.set(sinkRecordId(record), position);
  };
  const flushCheckpoints = (upTo: number): boolean => {
    for (
      let checkpoint = backlog.checkpoints[next];
      checkpoint !== undefined && checkpoint.treeSize <= upTo;
    ) {
      if (records.length >= limit) return false;
      take({ kind: "checkpoint", checkpoint }, checkpoint.treeSize);
      checkpointCursor = checkpoint.treeSize;
      next += 1;
      checkpoint = backlog.checkpoints[next];
    }
    return true;
  };
  if (!flushCheckpoints(backlog.cursor)) return { records, positions, cursor, checkpointCursor, skipped };
  for (const { seq, event } of backlog.events) {
    if (event !== null && records.length >= limit) break;
    if (event === null) skipped += 1;
    else take({ kind: "event", event }, seq);
    cursor = seq;
    if (!flushCheckpoints(seq)) break;
  }
  return { records, positions, cursor, checkpointCursor, skipped };
}
