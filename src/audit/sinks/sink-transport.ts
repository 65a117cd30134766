import type { Clock } from "../../clock/clock.ts";
import type { AuditEvent } from "../audit-event.ts";
import type { ProductInfo } from "../export/product-info.ts";

/** Every kind of receiver the audit log can be forwarded to. */
export const sinkTypes = [
  "splunk-hec",
  "datadog",
  "elasticsearch",
  "logstash",
  "loki",
  "otlp",
  "syslog",
  "webhook",
] as const;
export type SinkType = (typeof sinkTypes)[number];

/** How each record is rendered: the event envelope as is, Elastic Common Schema, or ArcSight CEF. */
export const sinkFormats = ["json", "ecs", "cef"] as const;
export type SinkFormat = (typeof sinkFormats)[number];

/**
 * A signed checkpoint of the audit log's Merkle tree, forwarded beside the events so that every
 * SIEM holds its own copy for `audit verify --against`. `id` is `checkpoint-<tree size>`.
 */
export interface CheckpointRecord {
  readonly id: string;
  readonly origin: string;
  readonly treeSize: number;
  /** Base64, as in the note. */
  readonly rootHash: string;
  /** The whole C2SP signed note, signature lines included. */
  readonly signedNote: string;
  /** When the checkpoint was signed (ISO 8601, UTC). */
  readonly timestamp: string;
}

/** What a sink carries, in delivery order: an event, or a checkpoint covering the events before it. */
export type SinkRecord =
  | { readonly kind: "event"; readonly event: AuditEvent }
  | { readonly kind: "checkpoint"; readonly checkpoint: CheckpointRecord };

/** The stable id a receiver de-duplicates on: the event's ULID, or `checkpoint-<size>`. */
export function sinkRecordId(record: SinkRecord): string {
  return record.kind === "event" ? record.event.id : record.checkpoint.id;
}

/** A webhook signing secret. Several are active during a rotation's overlap window. */
export interface SigningSecret {
  readonly keyId: string;
  readonly secret: string;
}

/** Everything a transport needs, decrypted. Options are per type (see docs/audit-forwarding.md). */
export interface SinkTransportConfig {
  readonly type: SinkType;
  readonly url: string;
  readonly format: SinkFormat;
  /** The bearer-like credential: Splunk HEC token, Datadog API key, Elasticsearch API key ... */
  readonly token?: string;
  /** Webhook signing secrets, newest first; each one signs every delivery while it is active. */
  readonly secrets?: readonly SigningSecret[];
  /** Type-specific settings (index, site, tenant, TLS CA ...), validated by the transport. */
  readonly options: Readonly<Record<string, string | number | boolean>>;
}

export interface SinkTransportDependencies {
  readonly clock: Clock;
  readonly product: ProductInfo;
}

/**
 * How one delivery attempt ended.
 * - `delivered`: the receiver holds every record of the batch.
 * - `retry`: a transient failure (network, timeout, 429, 5xx). `retryAfterMs` is the receiver's
 *   `Retry-After` when it sent one. `remaining` lists the ids still not held when the receiver
 *   took part of the batch (Elasticsearch items, OTLP partial success); absent means all of them.
 * - `rejected`: the receiver refuses the batch for good (a 4xx other than 408/429). With
 *   `rejected` ids (per-item errors) only those are refused and the rest is held; without, the
 *   sink splits the batch to find the record that fails and parks it.
 */
export type DeliveryResult =
  | { readonly kind: "delivered" }
  | {
      readonly kind: "retry";
      readonly error: string;
      readonly retryAfterMs?: number;
      readonly remaining?: readonly string[];
    }
  | {
      readonly kind: "rejected";
      readonly error: string;
      readonly rejected?: readonly { readonly id: string; readonly error: string }[];
    };

/**
 * One receiver's wire protocol. `deliver` never throws for a receiver's failure: it reports it as
 * a DeliveryResult (it may throw only for a programming error). `signal` aborts the attempt when
 * the sink's timeout passes or the server stops.
 */
export interface SinkTransport {
  /** The most records one `deliver` call is given (a transport may still split it into requests). */
  readonly maxBatch: number;
  deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult>;
  /** Releases connections (syslog keeps one open). */
  close(): Promise<void>;
}
