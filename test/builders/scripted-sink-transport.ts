import type { SinkTransportFactory } from "../../src/audit/sinks/sink-transport-pool.ts";
import {
  sinkRecordId,
  type DeliveryResult,
  type SinkRecord,
  type SinkTransport,
  type SinkTransportConfig,
} from "../../src/audit/sinks/sink-transport.ts";

/** How the scripted receiver answers one delivery: its records, and the attempt's number. */
export type ScriptedAnswer = (records: readonly SinkRecord[], attempt: number) => DeliveryResult;

const accept: ScriptedAnswer = () => ({ kind: "delivered" });

/**
 * A receiver behind the SinkTransport port whose answers a test scripts: it keeps every record
 * it accepted (in order, duplicates included, as a real receiver would see a replay) and every
 * attempt it was given. For the delivery engine's tests; the wire protocols have their own.
 */
export class ScriptedReceiver {
  answer: ScriptedAnswer = accept;
  readonly attempts: (readonly SinkRecord[])[] = [];
  readonly received: SinkRecord[] = [];
  readonly configs: SinkTransportConfig[] = [];
  closed = 0;

  readonly factory: SinkTransportFactory = (config) => {
    this.configs.push(config);
    return this.transport(config);
  };

  /** The ids it holds, each once, in the order first received. */
  receivedIds(): string[] {
    return [...new Set(this.received.map(sinkRecordId))];
  }

  receivedEvents(): { readonly id: string; readonly seq: number }[] {
    return this.received.flatMap((record) =>
      record.kind === "event" ? [{ id: record.event.id, seq: record.event.seq }] : [],
    );
  }

  private transport(config: SinkTransportConfig): SinkTransport {
    const maxBatch = typeof config.options.maxBatch === "number" ? config.options.maxBatch : 100;
    return {
      maxBatch,
      deliver: (records) => {
        this.attempts.push(records);
        const result = this.answer(records, this.attempts.length);
        const refused = new Set(
          result.kind === "retry"
            ? (result.remaining ?? records.map(sinkRecordId))
            : result.kind === "rejected"
              ? (result.rejected?.map((entry) => entry.id) ?? records.map(sinkRecordId))
              : [],
        );
        this.received.push(...records.filter((record) => !refused.has(sinkRecordId(record))));
        return Promise.resolve(result);
      },
      close: () => {
        this.closed += 1;
        return Promise.resolve();
      },
    };
  }
}
