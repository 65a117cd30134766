import type { AuditCategory, AuditSeverity } from "../audit-event.ts";
import { cefExtensionValue, cefHeaderField, cefSeverity, toCef } from "../export/cef-line.ts";
import { ECS_DATASET, ECS_MODULE, ECS_VERSION, numericSeverity, toEcs } from "../export/ecs-document.ts";
import { jsonText } from "../export/jsonl-line.ts";
import type { ProductInfo } from "../export/product-info.ts";
import type { CheckpointRecord, SinkFormat, SinkRecord } from "./sink-transport.ts";

/** What a checkpoint is filed under, beside the events: an `audit` record, action `checkpoint`. */
export const CHECKPOINT_CATEGORY: AuditCategory = "audit";
export const CHECKPOINT_ACTION = "checkpoint";

/** The few facts about a record that transports put in labels, headers and envelopes. */
export interface SinkRecordFacts {
  readonly id: string;
  readonly timestamp: string;
  readonly timestampMs: number;
  readonly category: AuditCategory;
  readonly action: string;
  readonly severity: AuditSeverity;
}

export function sinkRecordFacts(record: SinkRecord): SinkRecordFacts {
  if (record.kind === "event") {
    const { event } = record;
    return {
      id: event.id,
      timestamp: event.timestamp,
      timestampMs: Date.parse(event.timestamp),
      category: event.event,
      action: event.action,
      severity: event.severity,
    };
  }
  const { checkpoint } = record;
  return {
    id: checkpoint.id,
    timestamp: checkpoint.timestamp,
    timestampMs: Date.parse(checkpoint.timestamp),
    category: CHECKPOINT_CATEGORY,
    action: CHECKPOINT_ACTION,
    severity: "info",
  };
}

/**
 * A record in a sink's format: `json` and `ecs` give an object (the event envelope as stored, or
 * its ECS document), `cef` gives the CEF line without its "\n". Checkpoints have a form in each
 * format (see checkpointJson, checkpointEcs, checkpointCef).
 */
export function sinkRecordDocument(
  record: SinkRecord,
  format: SinkFormat,
  product: ProductInfo,
): Record<string, unknown> | string {
  if (record.kind === "checkpoint") {
    const { checkpoint } = record;
    if (format === "json") return checkpointJson(checkpoint);
    if (format === "ecs") return checkpointEcs(checkpoint, product);
    return checkpointCef(checkpoint, product);
  }
  if (format === "json") return { ...record.event };
  if (format === "ecs") return toEcs(record.event, product);
  return toCef(record.event, product).slice(0, -1);
}

/** A record as one line of text (no "\n" inside or at the end): compact JSON or a CEF line. */
export function sinkRecordLine(record: SinkRecord, format: SinkFormat, product: ProductInfo): string {
  const document = sinkRecordDocument(record, format, product);
  return typeof document === "string" ? document : jsonText(document);
}

/**
 * A record as a JSON object for receivers that index objects (Elasticsearch, Logstash): in the
 * `cef` format the line goes in `message`, beside `@timestamp` and the record's id.
 */
export function sinkRecordObject(
  record: SinkRecord,
  format: SinkFormat,
  product: ProductInfo,
): Record<string, unknown> {
  const document = sinkRecordDocument(record, format, product);
  if (typeof document !== "string") return document;
  const facts = sinkRecordFacts(record);
  return { "@timestamp": facts.timestamp, message: document, event: { id: facts.id } };
}

/**
 * The `json` form of a checkpoint. `record_type` tells it from an event envelope (which has no
 * such member); the signed note is the whole C2SP note, so `audit verify --against` can use it.
 */
export function checkpointJson(checkpoint: CheckpointRecord): Record<string, unknown> {
  return {
    record_type: "checkpoint",
    id: checkpoint.id,
    timestamp: checkpoint.timestamp,
    origin: checkpoint.origin,
    tree_size: checkpoint.treeSize,
    root_hash: checkpoint.rootHash,
    signed_note: checkpoint.signedNote,
  };
}

/**
 * The `ecs` form of a checkpoint: an `event.kind: "state"` document (a periodic snapshot, in ECS
 * terms) with action `audit.checkpoint`, the checkpoint itself under `package_broker.checkpoint`.
 */
export function checkpointEcs(checkpoint: CheckpointRecord, product: ProductInfo): Record<string, unknown> {
  const document: Record<string, unknown> = {
    "@timestamp": checkpoint.timestamp,
    ecs: { version: ECS_VERSION },
    event: {
      id: checkpoint.id,
      kind: "state",
      category: ["configuration"],
      type: ["info"],
      action: `${CHECKPOINT_CATEGORY}.${CHECKPOINT_ACTION}`,
      severity: numericSeverity("info"),
      sequence: checkpoint.treeSize,
      dataset: ECS_DATASET,
      module: ECS_MODULE,
      provider: product.product,
    },
    log: { level: "info" },
    service: { name: product.product, version: product.version },
    package_broker: { checkpoint: checkpointJson(checkpoint) },
  };
  if (product.host !== undefined) document.host = { name: product.host };
  return document;
}

/**
 * The `cef` form of a checkpoint (no "\n" at the end): signature id `audit.checkpoint`, the tree
 * size in cn1, root hash and origin in cs1/cs2, and the signed note in `msg` (its line breaks
 * written as `\n`, the CEF escape).
 */
export function checkpointCef(checkpoint: CheckpointRecord, product: ProductInfo): string {
  const pairs: [string, string][] = [
    ["rt", String(Date.parse(checkpoint.timestamp))],
    ["externalId", checkpoint.id],
    ["cn1Label", "treeSize"],
    ["cn1", String(checkpoint.treeSize)],
    ["cat", CHECKPOINT_CATEGORY],
    ["act", CHECKPOINT_ACTION],
    ["cs1Label", "rootHash"],
    ["cs1", checkpoint.rootHash],
    ["cs2Label", "origin"],
    ["cs2", checkpoint.origin],
    ["msg", checkpoint.signedNote],
  ];
  if (product.host !== undefined) pairs.push(["dvchost", product.host]);
  const header = [
    "CEF:0",
    cefHeaderField(product.vendor),
    cefHeaderField(product.product),
    cefHeaderField(product.version),
    `${CHECKPOINT_CATEGORY}.${CHECKPOINT_ACTION}`,
    "audit checkpoint",
    String(cefSeverity("info")),
  ].join("|");
  return `${header}|${pairs.map(([key, value]) => `${key}=${cefExtensionValue(value)}`).join(" ")}`;
}
