import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import {
  isSuccessReply,
  postToReceiver,
  replyJson,
  replyResult,
  type ReceiverReply,
} from "./receiver-post.ts";
import { endpointUrl, receiverUrl } from "./receiver-url.ts";
import { sinkRecordDocument, sinkRecordFacts } from "./sink-record-document.ts";
import type { ProductInfo } from "../export/product-info.ts";
import type {
  DeliveryResult,
  SinkFormat,
  SinkRecord,
  SinkTransport,
  SinkTransportConfig,
  SinkTransportDependencies,
} from "./sink-transport.ts";
import { countOption, flagOption, textOption } from "./transport-options.ts";

export const splunkHecOptionsSchema = z.strictObject({
  index: textOption.optional(),
  source: textOption.default("package-broker"),
  sourcetype: textOption.optional(),
  host: textOption.optional(),
  /** Indexer acknowledgement: delivered only once Splunk says the events are indexed. */
  ack: flagOption.default(false),
  /** How long to wait between two acknowledgement polls. */
  ackPollMs: countOption.default(1000),
});
export type SplunkHecOptions = z.output<typeof splunkHecOptionsSchema>;

const RECEIVER = "Splunk HEC";

/**
 * Splunk HTTP Event Collector: `POST /services/collector/event` with `Authorization: Splunk
 * <token>` and one JSON envelope per record, concatenated. With `ack`, the request carries a
 * channel id and the batch is delivered only when `/services/collector/ack` reports its ack id.
 */
export function createSplunkHecTransport(
  config: SinkTransportConfig & { readonly token: string },
  options: SplunkHecOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const { base } = receiverUrl(config.url);
  const eventUrl = endpointUrl(base, "/services/collector/event");
  const ackUrl = endpointUrl(base, "/services/collector/ack");
  const channel = randomUUID();
  const headers: Record<string, string> = {
    authorization: `Splunk ${config.token}`,
    "content-type": "application/json",
  };
  if (options.ack) headers["x-splunk-request-channel"] = channel;
  const fields: EnvelopeFields = {
    host: options.host ?? deps.product.host,
    source: options.source,
    sourcetype: options.sourcetype ?? (config.format === "cef" ? "cef" : "_json"),
    index: options.index,
  };
  const envelope = (record: SinkRecord): string => hecEnvelope(record, fields, config.format, deps.product);

  async function awaitAck(ackId: number, signal: AbortSignal): Promise<DeliveryResult> {
    const body = JSON.stringify({ acks: [ackId] });
    const unconfirmed: DeliveryResult = {
      kind: "retry",
      error: `${RECEIVER}: ack ${ackId} not confirmed before the attempt was aborted`,
    };
    for (;;) {
      try {
        await sleep(options.ackPollMs, undefined, { signal });
      } catch {
        return unconfirmed;
      }
      const reply = await postToReceiver({ url: ackUrl, headers, body, signal });
      if (signal.aborted) return unconfirmed;
      if (!isSuccessReply(reply)) {
        const result = replyResult(reply, `${RECEIVER} ack`, deps.clock);
        // The events were accepted; only their acknowledgement is unknown: send them again.
        return result.kind === "rejected" ? { kind: "retry", error: result.error } : result;
      }
      if (ackedIn(reply.text, ackId)) return { kind: "delivered" };
    }
  }

  return {
    maxBatch: 500,
    async deliver(records, signal) {
      const body = records.map(envelope).join("\n");
      const reply = await postToReceiver({ url: eventUrl, headers, body, signal });
      if (!isSuccessReply(reply) || !options.ack) return replyResult(reply, RECEIVER, deps.clock);
      const ackId = ackIdOf(reply);
      if (ackId === undefined) {
        return {
          kind: "retry",
          error: `${RECEIVER} returned no ackId: is indexer acknowledgement enabled for this token?`,
        };
      }
      return awaitAck(ackId, signal);
    },
    close: () => Promise.resolve(),
  };
}

interface EnvelopeFields {
  readonly host: string | undefined;
  readonly source: string;
  readonly sourcetype: string;
  readonly index: string | undefined;
}

/** One HEC event envelope: `time` in epoch seconds with the milliseconds as a fraction. */
function hecEnvelope(
  record: SinkRecord,
  fields: EnvelopeFields,
  format: SinkFormat,
  product: ProductInfo,
): string {
  const envelope: Record<string, unknown> = { time: sinkRecordFacts(record).timestampMs / 1000 };
  if (fields.host !== undefined) envelope.host = fields.host;
  envelope.source = fields.source;
  envelope.sourcetype = fields.sourcetype;
  if (fields.index !== undefined) envelope.index = fields.index;
  envelope.event = sinkRecordDocument(record, format, product);
  return JSON.stringify(envelope);
}

const ackIdResponse = z.object({ ackId: z.number().int().nonnegative() });
const ackStatusResponse = z.object({ acks: z.record(z.string(), z.boolean()) });

function ackIdOf(reply: Extract<ReceiverReply, { kind: "response" }>): number | undefined {
  const parsed = ackIdResponse.safeParse(replyJson(reply.text));
  return parsed.success ? parsed.data.ackId : undefined;
}

function ackedIn(text: string, ackId: number): boolean {
  const parsed = ackStatusResponse.safeParse(replyJson(text));
  return parsed.success && parsed.data.acks[String(ackId)] === true;
}
