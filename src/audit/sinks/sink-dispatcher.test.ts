import { afterEach, describe, expect, it } from "vitest";
import { ScriptedReceiver } from "../../../test/builders/scripted-sink-transport.ts";
import { TestRuntime } from "../../../test/builders/test-runtime.ts";
import { consoleContext } from "../audit-event.ts";
import { auditTrail, type AuditTrail } from "../audit-trail.ts";
import { BACKOFF_CAP_MS } from "./sink-backoff.ts";
import { sinkRecordId, type SinkRecord } from "./sink-transport.ts";

const HOUR = 60 * 60 * 1000;

let t: TestRuntime | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function start(receiver: ScriptedReceiver, fileDatabase = false): Promise<TestRuntime> {
  t = await TestRuntime.start({ fileDatabase, runtimeOptions: { sinkTransportFactory: receiver.factory } });
  return t;
}

function trailOf(runtime: TestRuntime): AuditTrail {
  return auditTrail(runtime.runtime.audit.log, consoleContext);
}

async function appendEvents(runtime: TestRuntime, count: number, action = "sink_probe"): Promise<void> {
  const trail = trailOf(runtime);
  for (let i = 0; i < count; i += 1) {
    await trail.record({ event: "configuration", action, outcome: "success", details: { i } });
  }
}

async function addSink(runtime: TestRuntime, options: Record<string, number> = {}): Promise<string> {
  const sink = await runtime.runtime.auditSinks.add(
    { type: "logstash", url: "https://logstash.example.com:8080", options },
    trailOf(runtime),
  );
  return sink.id;
}

async function logSize(runtime: TestRuntime): Promise<number> {
  return (await runtime.runtime.audit.records.state()).size;
}

function isEventWithId(ids: ReadonlySet<string>): (record: SinkRecord) => boolean {
  return (record) => ids.has(sinkRecordId(record));
}

describe("SinkDispatcher", () => {
  it("delivers every event in seq order with the checkpoints after the events they cover", async () => {
    const receiver = new ScriptedReceiver();
    const runtime = await start(receiver);
    const id = await addSink(runtime, { maxBatch: 7 });
    await appendEvents(runtime, 10);
    await runtime.runtime.audit.checkpointer.checkpointNow();
    await appendEvents(runtime, 5);
    await runtime.runtime.sinkDispatcher.deliverDue();

    const size = await logSize(runtime);
    expect(receiver.receivedEvents().map((event) => event.seq)).toEqual(
      Array.from({ length: size }, (_, i) => i + 1),
    );
    const checkpointAt = receiver.received.findIndex((record) => record.kind === "checkpoint");
    const checkpoint = receiver.received[checkpointAt];
    if (checkpoint?.kind !== "checkpoint") throw new Error("no checkpoint was forwarded");
    expect(checkpoint.checkpoint.id).toBe(`checkpoint-${checkpoint.checkpoint.treeSize}`);
    expect(checkpoint.checkpoint.signedNote.startsWith(`${checkpoint.checkpoint.origin}\n`)).toBe(true);
    // Right after the event whose seq is its tree size.
    const before = receiver.received[checkpointAt - 1];
    expect(before?.kind === "event" && before.event.seq).toBe(checkpoint.checkpoint.treeSize);
    expect(receiver.attempts.every((attempt) => attempt.length <= 7)).toBe(true);

    const view = await runtime.runtime.auditSinks.get(id);
    expect(view).toMatchObject({
      cursor: size,
      checkpointCursor: checkpoint.checkpoint.treeSize,
      delivered: size + 1,
      lag: { events: 0, seconds: 0 },
      failures: 0,
      lastError: null,
    });
  });

  it("loses nothing when the receiver is down for days and the broker restarts meanwhile", async () => {
    const receiver = new ScriptedReceiver();
    let up = false;
    receiver.answer = () => (up ? { kind: "delivered" } : { kind: "retry", error: "connect ECONNREFUSED" });
    const first = await start(receiver, true);
    const id = await addSink(first);
    for (let hour = 0; hour < 72; hour += 1) {
      await appendEvents(first, 3);
      first.clock.advance(HOUR);
      await first.runtime.sinkDispatcher.deliverDue();
    }
    const down = await first.runtime.auditSinks.get(id);
    expect(down.lag.events).toBe(await logSize(first));
    expect(down.lag.seconds).toBeGreaterThanOrEqual(71 * 3600);
    expect(down.lastError).toBe("connect ECONNREFUSED");
    expect(down.failures).toBeGreaterThan(10);
    expect(Date.parse(down.nextAttemptAt ?? "")).toBeLessThanOrEqual(
      first.clock.now().getTime() + BACKOFF_CAP_MS,
    );

    // The broker restarts on the same database; the receiver comes back.
    await first.runtime.close();
    const { openRuntime } = await import("../../runtime.ts");
    const second = await openRuntime(first.config, first.logger, first.clock, {
      sinkTransportFactory: receiver.factory,
    });
    try {
      await auditTrail(second.audit.log, consoleContext).record({
        event: "configuration",
        action: "sink_probe",
        outcome: "success",
      });
      up = true;
      first.clock.advance(BACKOFF_CAP_MS);
      for (let round = 0; round < 5; round += 1) await second.sinkDispatcher.deliverDue();
      const size = (await second.audit.records.state()).size;
      const events = receiver.receivedEvents();
      expect(events.map((event) => event.seq)).toEqual(Array.from({ length: size }, (_, i) => i + 1));
      expect(new Set(events.map((event) => event.id)).size).toBe(size);
      const after = await second.auditSinks.get(id);
      expect(after).toMatchObject({ cursor: size, failures: 0, lag: { events: 0 } });
    } finally {
      await second.close();
    }
  });

  it("waits as long as Retry-After says, and backs off with jitter without it", async () => {
    const receiver = new ScriptedReceiver();
    const runtime = await start(receiver);
    const id = await addSink(runtime);
    receiver.answer = () => ({ kind: "retry", error: "429 Too Many Requests", retryAfterMs: 120_000 });
    await runtime.runtime.sinkDispatcher.deliverDue();
    const waiting = await runtime.runtime.auditSinks.get(id);
    expect(Date.parse(waiting.nextAttemptAt ?? "")).toBe(runtime.clock.now().getTime() + 120_000);

    receiver.answer = () => ({ kind: "delivered" });
    runtime.clock.advance(119_000);
    await runtime.runtime.sinkDispatcher.deliverDue();
    expect(receiver.attempts).toHaveLength(1);
    runtime.clock.advance(1_000);
    await runtime.runtime.sinkDispatcher.deliverDue();
    expect((await runtime.runtime.auditSinks.get(id)).lag.events).toBe(0);

    receiver.answer = () => ({ kind: "retry", error: "503" });
    const delays: number[] = [];
    for (let failure = 1; failure <= 6; failure += 1) {
      await appendEvents(runtime, 1);
      await runtime.runtime.sinkDispatcher.deliverDue();
      const view = await runtime.runtime.auditSinks.get(id);
      const delay = Date.parse(view.nextAttemptAt ?? "") - runtime.clock.now().getTime();
      delays.push(delay);
      const step = 1000 * 2 ** (failure - 1);
      expect(delay).toBeGreaterThanOrEqual(step / 2);
      expect(delay).toBeLessThanOrEqual(step);
      runtime.clock.advance(delay);
    }
    expect(delays[5]).toBeGreaterThan(delays[0] ?? 0);
  });

  it("splits a refused batch down to the one event that fails, parks it and goes on", async () => {
    const receiver = new ScriptedReceiver();
    const runtime = await start(receiver);
    const id = await addSink(runtime, { maxBatch: 16 });
    await appendEvents(runtime, 20);
    const poison = (await runtime.runtime.audit.records.range(13, 1))[0]?.id ?? "";
    receiver.answer = (records) =>
      records.some((record) => sinkRecordId(record) === poison)
        ? { kind: "rejected", error: "400 mapper_parsing_exception" }
        : { kind: "delivered" };
    await runtime.runtime.sinkDispatcher.deliverDue();

    const size = await logSize(runtime);
    expect(receiver.receivedEvents().map((event) => event.seq)).toEqual(
      Array.from({ length: size }, (_, i) => i + 1).filter((seq) => seq !== 13),
    );
    // 16 -> 8 -> 4 -> 2 -> 1: a handful of attempts, not one per event.
    expect(receiver.attempts.length).toBeLessThan(12);
    const view = await runtime.runtime.auditSinks.get(id);
    expect(view).toMatchObject({ cursor: size, parked: 1, failures: 0 });
    expect(await runtime.runtime.auditSinks.parked(id)).toEqual([
      {
        recordId: poison,
        kind: "event",
        seq: 13,
        error: "400 mapper_parsing_exception",
        parkedAt: runtime.clock.now().toISOString(),
      },
    ]);
    const parkedEvent = await runtime.runtime.audit.records.latestEvent("audit", "sink_record_parked");
    expect(JSON.parse(parkedEvent?.details ?? "{}")).toMatchObject({ record_id: poison, seq: 13 });
    // Once past the refused range, batches are whole again.
    await appendEvents(runtime, 40);
    receiver.attempts.length = 0;
    await runtime.runtime.sinkDispatcher.deliverDue();
    expect(receiver.attempts[0]).toHaveLength(16);
  });

  it("resends only what the receiver did not take, and parks per-item refusals at once", async () => {
    const receiver = new ScriptedReceiver();
    const runtime = await start(receiver);
    const id = await addSink(runtime);
    await appendEvents(runtime, 5);
    const rows = await runtime.runtime.audit.records.range(1, 10);
    const [, second, third] = rows.map((row) => row.id);
    if (second === undefined || third === undefined) throw new Error("too few events");
    receiver.answer = (_records, attempt) =>
      attempt === 1
        ? { kind: "retry", error: "es_rejected_execution_exception", remaining: [second, third] }
        : attempt === 2
          ? {
              kind: "rejected",
              error: "item refused",
              rejected: [{ id: third, error: "document too large" }],
            }
          : { kind: "delivered" };
    await runtime.runtime.sinkDispatcher.deliverDue();
    runtime.clock.advance(BACKOFF_CAP_MS);
    await runtime.runtime.sinkDispatcher.deliverDue();

    expect(receiver.attempts[1]?.map(sinkRecordId)).toEqual([second, third]);
    const all = await runtime.runtime.audit.records.range(1, 100);
    expect(all.at(-1)?.action).toBe("sink_record_parked");
    // Items a bulk receiver took stay taken: the one it asked for again arrives after them.
    expect(receiver.receivedIds().sort()).toEqual(
      all
        .map((row) => row.id)
        .filter((rowId) => rowId !== third)
        .sort(),
    );
    const parked = await runtime.runtime.auditSinks.parked(id);
    expect(parked.map((entry) => [entry.recordId, entry.error])).toEqual([[third, "document too large"]]);
    expect(receiver.received.filter(isEventWithId(new Set([second])))).toHaveLength(1);
  });

  it("records a sink whose transport cannot be built, and backs off, without stopping the others", async () => {
    const receiver = new ScriptedReceiver();
    const runtime = await start(receiver);
    const broken = await addSink(runtime);
    const working = await runtime.runtime.auditSinks.add(
      { type: "loki", url: "https://loki.example.com", name: "working" },
      trailOf(runtime),
    );
    await runtime.runtime.database.db
      .updateTable("audit_sinks")
      .set({ secret: "v1.not.sealed", updated_at: "2026-01-01T00:00:01.000Z" })
      .where("id", "=", broken)
      .execute();
    await runtime.runtime.sinkDispatcher.deliverDue();
    const view = await runtime.runtime.database.db
      .selectFrom("audit_sinks")
      .selectAll()
      .where("id", "=", broken)
      .executeTakeFirstOrThrow();
    expect(view.attempts).toBe(1);
    expect(view.last_error).toMatch(/^a stored secret cannot be decrypted/);
    expect((await runtime.runtime.auditSinks.get(working.id)).lag.events).toBe(0);
    // Still listed, without the credentials it can no longer open, with the reason.
    const listed = await runtime.runtime.auditSinks.get(broken);
    expect(listed.credentials).toEqual({ token: false, userinfo: false, signingKeys: [] });
    expect(listed.lastError).toMatch(/^a stored secret cannot be decrypted/);
  });

  it("sends nothing while paused and resumes where it stopped", async () => {
    const receiver = new ScriptedReceiver();
    const runtime = await start(receiver);
    const id = await addSink(runtime);
    await runtime.runtime.auditSinks.update(id, { paused: true }, trailOf(runtime));
    await appendEvents(runtime, 3);
    await runtime.runtime.sinkDispatcher.deliverDue();
    expect(receiver.attempts).toHaveLength(0);
    expect((await runtime.runtime.auditSinks.get(id)).paused).toBe(true);
    await runtime.runtime.auditSinks.update(id, { paused: false }, trailOf(runtime));
    await runtime.runtime.sinkDispatcher.deliverDue();
    expect(receiver.receivedEvents().map((event) => event.seq)).toEqual(
      Array.from({ length: await logSize(runtime) }, (_, i) => i + 1),
    );
    const actions = receiver.received.flatMap((record) =>
      record.kind === "event" ? [record.event.action] : [],
    );
    expect(actions).toEqual(expect.arrayContaining(["sink_created", "sink_paused", "sink_resumed"]));
  });

  it("makes the retention purge wait for a sink that has not received old events, and says so", async () => {
    const receiver = new ScriptedReceiver();
    receiver.answer = () => ({ kind: "retry", error: "down" });
    const runtime = await start(receiver);
    await appendEvents(runtime, 4);
    const id = await addSink(runtime);
    const trail = trailOf(runtime);
    runtime.clock.advance(400 * 24 * HOUR);
    const report = await runtime.runtime.auditRetention.purge(trail, "manual");
    expect(report?.purged).toBe(0);
    expect(report?.heldForSinks).toEqual(expect.arrayContaining(["configuration", "audit"]));
    const held = await runtime.runtime.audit.records.latestEvent("audit", "retention_held_for_sinks");
    expect(held?.severity).toBe("warning");
    expect(JSON.parse(held?.details ?? "{}")).toMatchObject({ kept_from_seq: 1, sinks: [{ id, cursor: 0 }] });

    // Once the receiver holds them, they go.
    receiver.answer = () => ({ kind: "delivered" });
    runtime.clock.advance(BACKOFF_CAP_MS);
    await runtime.runtime.sinkDispatcher.deliverDue();
    const after = await runtime.runtime.auditRetention.purge(trail, "manual");
    expect(after?.purged).toBeGreaterThanOrEqual(5);
  });
});
