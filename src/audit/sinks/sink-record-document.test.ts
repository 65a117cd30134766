import { describe, expect, it } from "vitest";
import { hostile } from "../../../test/builders/audit-event-examples.ts";
import { checkpointRecord, exampleRecords, testProduct } from "../../../test/doubles/transport-harness.ts";
import { toCef } from "../export/cef-line.ts";
import { toEcs } from "../export/ecs-document.ts";
import { jsonText } from "../export/jsonl-line.ts";
import {
  sinkRecordDocument,
  sinkRecordFacts,
  sinkRecordLine,
  sinkRecordObject,
} from "./sink-record-document.ts";
import type { SinkRecord } from "./sink-transport.ts";

const event: SinkRecord = { kind: "event", event: hostile };
const checkpoint = checkpointRecord.kind === "checkpoint" ? checkpointRecord.checkpoint : undefined;

describe("sink record documents", () => {
  it("renders an event with the export formatters", () => {
    expect(sinkRecordDocument(event, "json", testProduct)).toEqual(hostile);
    expect(sinkRecordDocument(event, "ecs", testProduct)).toEqual(toEcs(hostile, testProduct));
    expect(sinkRecordDocument(event, "cef", testProduct)).toBe(toCef(hostile, testProduct).slice(0, -1));
    expect(sinkRecordLine(event, "json", testProduct)).toBe(jsonText(hostile));
  });

  it("never puts a raw line break in a line, whatever the format", () => {
    for (const record of exampleRecords) {
      for (const format of ["json", "ecs", "cef"] as const) {
        expect(sinkRecordLine(record, format, testProduct)).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
      }
    }
  });

  it("gives a checkpoint a JSON, an ECS and a CEF form", () => {
    expect(sinkRecordDocument(checkpointRecord, "json", testProduct)).toEqual({
      record_type: "checkpoint",
      id: "checkpoint-1045",
      timestamp: checkpoint?.timestamp,
      origin: checkpoint?.origin,
      tree_size: 1045,
      root_hash: checkpoint?.rootHash,
      signed_note: checkpoint?.signedNote,
    });
    expect(sinkRecordDocument(checkpointRecord, "ecs", testProduct)).toMatchObject({
      "@timestamp": checkpoint?.timestamp,
      event: { id: "checkpoint-1045", kind: "state", action: "audit.checkpoint", sequence: 1045 },
      package_broker: { checkpoint: { signed_note: checkpoint?.signedNote } },
      host: { name: "broker-1" },
    });
    const cef = sinkRecordDocument(checkpointRecord, "cef", testProduct);
    expect(cef).toBe(
      "CEF:0|PACKAGE.broker|package-broker|1.2.3|audit.checkpoint|audit checkpoint|3|" +
        `rt=${Date.parse(checkpoint?.timestamp ?? "")} externalId=checkpoint-1045 cn1Label=treeSize cn1=1045 ` +
        "cat=audit act=checkpoint cs1Label=rootHash cs1=n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg\\= " +
        "cs2Label=origin cs2=broker.example.com/audit " +
        "msg=broker.example.com/audit\\n1045\\nn4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg\\=\\n\\n" +
        "— broker.example.com/audit AbCdEf0123\\=\\=\\n dvchost=broker-1",
    );
  });

  it("wraps a CEF line in an object for receivers that index objects", () => {
    expect(sinkRecordObject(event, "cef", testProduct)).toEqual({
      "@timestamp": hostile.timestamp,
      message: toCef(hostile, testProduct).slice(0, -1),
      event: { id: hostile.id },
    });
  });

  it("files checkpoints under audit/checkpoint", () => {
    expect(sinkRecordFacts(checkpointRecord)).toMatchObject({
      category: "audit",
      action: "checkpoint",
      severity: "info",
    });
  });
});
