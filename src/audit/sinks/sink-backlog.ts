import { Buffer } from "node:buffer";
import type { AuditRecords, AuditCheckpointRow } from "../../storage/database/audit-records.ts";
import { isPurged, rowToEvent } from "../audit-row.ts";
import type { SinkBacklog } from "./sink-batch.ts";
import type { CheckpointRecord } from "./sink-transport.ts";

/** Where a sink stands: the highest seq and the largest checkpoint its receiver holds. */
export interface SinkCursors {
  readonly cursor: number;
  readonly checkpoint_cursor: number;
}

/**
 * What a sink has not received yet: up to `limit` events after its cursor (a purged one as
 * null) and the checkpoints after its checkpoint cursor that those events reach.
 */
export async function readSinkBacklog(
  audit: AuditRecords,
  sink: SinkCursors,
  limit: number,
): Promise<SinkBacklog> {
  const rows = await audit.range(sink.cursor + 1, limit);
  const events = rows.map((row) => ({ seq: row.seq, event: isPurged(row) ? null : rowToEvent(row) }));
  const reach = Math.max(sink.cursor, rows.at(-1)?.seq ?? 0);
  const checkpoints = await audit.checkpointsIn(sink.checkpoint_cursor, reach, limit);
  return {
    events,
    checkpoints: checkpoints.map(checkpointRecord),
    cursor: sink.cursor,
    checkpointCursor: sink.checkpoint_cursor,
  };
}

/** A stored checkpoint as a sink record; its origin is the note's first line. */
export function checkpointRecord(row: AuditCheckpointRow): CheckpointRecord {
  return {
    id: `checkpoint-${row.size}`,
    origin: row.note.slice(0, Math.max(0, row.note.indexOf("\n"))),
    treeSize: row.size,
    rootHash: Buffer.from(row.rootHash, "hex").toString("base64"),
    signedNote: row.note,
    timestamp: row.createdAt,
  };
}
