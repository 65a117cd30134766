import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { AuditSinkRecords, type AuditSinkRow } from "./audit-sink-records.ts";
import type { DatabaseHandle } from "./database-handle.ts";

const T0 = "2026-01-01T10:00:00.000Z";

function sinkRow(id: string, cursor = 0): AuditSinkRow {
  return {
    id,
    name: `sink-${id}`,
    type: "webhook",
    url: "https://siem.example.com/hook",
    format: "json",
    options: "{}",
    secret: null,
    paused_at: null,
    cursor,
    checkpoint_cursor: 0,
    delivered: 0,
    attempts: 0,
    next_attempt_at: null,
    last_success_at: null,
    last_error: null,
    last_error_at: null,
    created_at: T0,
    updated_at: T0,
  };
}

describe.each(testEngines())("AuditSinkRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<AuditSinkRecords> {
    handle = await createTestDatabase(engine);
    return new AuditSinkRecords(handle.db);
  }

  it("stores, finds, lists and deletes sinks; names are unique", async () => {
    const sinks = await open();
    await sinks.insert(sinkRow("A"));
    await sinks.insert(sinkRow("B", 7));
    expect(await sinks.findById("A")).toEqual(sinkRow("A"));
    expect((await sinks.findByName("sink-B"))?.cursor).toBe(7);
    expect((await sinks.list()).map((row) => row.id)).toEqual(["A", "B"]);
    await expect(sinks.insert({ ...sinkRow("C"), name: "sink-A" })).rejects.toThrow();
    expect(await sinks.lowestCursor()).toBe(0);
    expect(await sinks.delete("A")).toBe(true);
    expect(await sinks.delete("A")).toBe(false);
    expect(await sinks.lowestCursor()).toBe(7);
    await sinks.delete("B");
    expect(await sinks.lowestCursor()).toBeNull();
  });

  it("advances only from the cursor the batch started at, and clears the backoff", async () => {
    const sinks = await open();
    await sinks.insert({ ...sinkRow("A", 10), attempts: 3, next_attempt_at: T0 });
    const batch = { fromCursor: 10, cursor: 20, checkpointCursor: 16, delivered: 11, at: T0 };
    expect(await sinks.advance("A", batch)).toBe(true);
    // A second node that read the same batch before the first one moved the cursor changes nothing.
    expect(await sinks.advance("A", batch)).toBe(false);
    const row = await sinks.findById("A");
    expect(row).toMatchObject({ cursor: 20, checkpoint_cursor: 16, delivered: 11, attempts: 0 });
    expect(row?.next_attempt_at).toBeNull();
    expect(row?.last_success_at).toBe(T0);
  });

  it("records failures, parks records once each, counts and unparks them; parked go with their sink", async () => {
    const sinks = await open();
    await sinks.insert(sinkRow("A"));
    await sinks.recordFailure("A", { error: "503", at: T0, attempts: 2, nextAttemptAt: T0 });
    expect(await sinks.findById("A")).toMatchObject({ attempts: 2, last_error: "503", last_error_at: T0 });
    const parked = { sink_id: "A", record_id: "E1", seq: 5, kind: "event", error: "bad", parked_at: T0 };
    await sinks.park([parked, { ...parked, record_id: "checkpoint-9", seq: 9, kind: "checkpoint" }]);
    await sinks.park([{ ...parked, error: "again" }]);
    expect(await sinks.parked("A", 10)).toEqual([
      parked,
      { ...parked, record_id: "checkpoint-9", seq: 9, kind: "checkpoint" },
    ]);
    expect(await sinks.parkedCounts()).toEqual(new Map([["A", 2]]));
    expect(await sinks.findParked("A", "E1")).toEqual(parked);
    await sinks.unpark("A", "E1");
    expect(await sinks.findParked("A", "E1")).toBeNull();
    await sinks.delete("A");
    expect(await sinks.parkedCounts()).toEqual(new Map());
  });
});
