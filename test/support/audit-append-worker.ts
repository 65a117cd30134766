/**
 * A second "process" for the audit durability tests: a worker thread (its own event loop, its
 * own database connection, blocking on SQLite's busy handler without stopping the test) that
 * appends `count` events in waves of `wave` concurrent appends and posts back the seqs it got.
 * Run by Node directly (type stripping), so it imports nothing but erasable TypeScript.
 */
import { parentPort, workerData } from "node:worker_threads";
import { systemContext } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { systemClock } from "../../src/clock/clock.ts";
import { AuditRecords } from "../../src/storage/database/audit-records.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";

export interface AppendWorkerInput {
  readonly file: string;
  readonly name: string;
  readonly count: number;
  readonly wave: number;
  /**
   * Milliseconds each transaction spends, blocking, between reading the log's state and writing
   * its rows: widens the window in which the other writer's transaction overlaps.
   */
  readonly holdMs: number;
  /**
   * Milliseconds between waves (a process does other work between appends): without it, SQLite's
   * busy handler, which sleeps between retries, would let one writer take every commit in turn.
   */
  readonly pauseMs: number;
}

/** First `{ready: true}` (then the worker waits for any message), then the seqs it got. */
export type AppendWorkerMessage = { readonly ready: true } | { readonly seqs: number[] };

const input = workerData as AppendWorkerInput;
const database = openSqliteDatabase(input.file);
const records = new AuditRecords(database.db);
const append = records.append.bind(records);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
records.append = (build) =>
  append((state) => {
    Atomics.wait(sleeper, 0, 0, input.holdMs);
    return build(state);
  });
const log = new AuditLog({ records, clock: systemClock });
// Start together: tell the parent this writer is ready and wait for its go.
await new Promise<void>((resolve) => {
  parentPort?.once("message", () => {
    resolve();
  });
  parentPort?.postMessage({ ready: true });
});
const seqs: number[] = [];
try {
  for (let sent = 0; sent < input.count; sent += input.wave) {
    const wave = Array.from({ length: Math.min(input.wave, input.count - sent) }, (_, index) =>
      log.append(
        {
          event: "system",
          action: "concurrency_probe",
          outcome: "success",
          details: { writer: input.name, n: sent + index },
        },
        systemContext,
      ),
    );
    for (const event of await Promise.all(wave)) seqs.push(event.seq);
    await new Promise((resolve) => setTimeout(resolve, input.pauseMs));
  }
} finally {
  await database.close();
}
parentPort?.postMessage({ seqs } satisfies AppendWorkerMessage);
