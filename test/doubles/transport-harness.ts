import { exampleEvents, download } from "../builders/audit-event-examples.ts";
import type { AuditEvent } from "../../src/audit/audit-event.ts";
import { packageBrokerProduct } from "../../src/audit/export/product-info.ts";
import { createSinkTransport } from "../../src/audit/sinks/create-sink-transport.ts";
import type {
  SinkRecord,
  SinkTransport,
  SinkTransportConfig,
  SinkTransportDependencies,
} from "../../src/audit/sinks/sink-transport.ts";
import { ManualClock } from "../../src/clock/clock.ts";

/** What the transport tests deliver and against what: fixed product, clock and records. */
export const testProduct = packageBrokerProduct("1.2.3", "broker-1");

export function testDependencies(
  clock = new ManualClock("2026-03-01T10:00:00.000Z"),
): SinkTransportDependencies {
  return { clock, product: testProduct };
}

export const checkpointRecord: SinkRecord = {
  kind: "checkpoint",
  checkpoint: {
    id: "checkpoint-1045",
    origin: "broker.example.com/audit",
    treeSize: 1045,
    rootHash: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
    signedNote:
      "broker.example.com/audit\n1045\nn4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=\n\n— broker.example.com/audit AbCdEf0123==\n",
    timestamp: "2026-03-01T09:15:03.000Z",
  },
};

/** The example events (a hostile one among them) and a checkpoint, in delivery order. */
export const exampleRecords: readonly SinkRecord[] = [
  ...exampleEvents.map((event): SinkRecord => ({ kind: "event", event })),
  checkpointRecord,
];

/** `count` distinct download events (ids and seqs differ), `extra` merged into each one's details. */
export function manyRecords(count: number, extra: Record<string, unknown> = {}): SinkRecord[] {
  return Array.from({ length: count }, (_, index): SinkRecord => {
    const event: AuditEvent = {
      ...download,
      id: `01KB3V9Q8G7J5YF3Q2M${String(index).padStart(7, "0")}`,
      seq: index + 1,
      details: { ...download.details, ...extra },
    };
    return { kind: "event", event };
  });
}

export function recordEvent(record: SinkRecord | undefined): AuditEvent {
  if (record?.kind !== "event") throw new Error("not an event record");
  return record.event;
}

/** A transport built by the factory, with the test dependencies unless others are given. */
export function testTransport(
  config: Omit<SinkTransportConfig, "format" | "options"> &
    Partial<Pick<SinkTransportConfig, "format" | "options">>,
  deps: SinkTransportDependencies = testDependencies(),
): SinkTransport {
  return createSinkTransport({ format: "json", options: {}, ...config }, deps);
}

/** A signal for one attempt that gives up well before the test's own timeout. */
export function attemptSignal(ms = 5000): AbortSignal {
  return AbortSignal.timeout(ms);
}
