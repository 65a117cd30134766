import { z } from "zod";
import {
  isRetryableStatus,
  isSuccessReply,
  postToReceiver,
  quoteBody,
  replyJson,
  replyResult,
} from "./receiver-post.ts";
import { endpointUrl, receiverUrl } from "./receiver-url.ts";
import { sinkRecordObject } from "./sink-record-document.ts";
import {
  sinkRecordId,
  type DeliveryResult,
  type SinkTransport,
  type SinkTransportConfig,
  type SinkTransportDependencies,
} from "./sink-transport.ts";
import { textOption } from "./transport-options.ts";

export const elasticsearchOptionsSchema = z.strictObject({
  /** The index or data stream written to (`create` works for both). */
  index: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._+-]{0,254}$/, "a lower-case Elasticsearch index or data stream name")
    .default("package-broker-audit"),
  /** An ingest pipeline to run the documents through. */
  pipeline: textOption.optional(),
});
export type ElasticsearchOptions = z.output<typeof elasticsearchOptionsSchema>;

const RECEIVER = "Elasticsearch";

const bulkItem = z.object({
  status: z.number().int(),
  _id: z.string().optional(),
  error: z.object({ type: z.string().optional(), reason: z.string().nullish() }).loose().optional(),
});
const bulkResponse = z.object({
  errors: z.boolean(),
  items: z.array(z.record(z.string(), bulkItem)),
});

/**
 * Elasticsearch / OpenSearch `_bulk`: NDJSON `create` actions with the record id as `_id`, so a
 * replay is harmless (409 version conflict = already there). Per-item results decide: 429/5xx
 * items are retried, other 4xx items rejected, everything else is held.
 */
export function createElasticsearchTransport(
  config: SinkTransportConfig,
  options: ElasticsearchOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const { base, authorization } = receiverUrl(config.url, config.token, "ApiKey");
  const url = new URL(endpointUrl(base, "/_bulk"));
  if (options.pipeline !== undefined) url.searchParams.set("pipeline", options.pipeline);
  const headers: Record<string, string> = { "content-type": "application/x-ndjson", ...authorization };

  return {
    maxBatch: 500,
    async deliver(records, signal) {
      const ids = records.map(sinkRecordId);
      const body = records
        .map((record, index) => {
          const action = JSON.stringify({ create: { _index: options.index, _id: ids[index] } });
          return `${action}\n${JSON.stringify(sinkRecordObject(record, config.format, deps.product))}\n`;
        })
        .join("");
      const reply = await postToReceiver({ url: url.href, headers, body, signal });
      if (!isSuccessReply(reply)) return replyResult(reply, RECEIVER, deps.clock);
      return bulkResult(ids, replyJson(reply.text));
    },
    close: () => Promise.resolve(),
  };
}

/** What a `_bulk` answer means for the records sent, item by item (in the order they were sent). */
export function bulkResult(ids: readonly string[], answer: unknown): DeliveryResult {
  const parsed = bulkResponse.safeParse(answer);
  if (!parsed.success || parsed.data.items.length !== ids.length) {
    return { kind: "retry", error: `${RECEIVER} answered 2xx with a body that is not a _bulk response` };
  }
  if (!parsed.data.errors) return { kind: "delivered" };
  const retry: { id: string; error: string }[] = [];
  const rejected: { id: string; error: string }[] = [];
  parsed.data.items.forEach((wrapper, index) => {
    const item = Object.values(wrapper)[0];
    const id = ids[index];
    if (item === undefined || id === undefined) return;
    if ((item.status >= 200 && item.status < 300) || item.status === 409) return;
    const error = `${RECEIVER} item ${item.status}: ${quoteBody(`${item.error?.type ?? "error"} ${item.error?.reason ?? ""}`)}`;
    (isRetryableStatus(item.status) ? retry : rejected).push({ id, error });
  });
  const [firstRetry] = retry;
  if (firstRetry !== undefined) {
    // The refused items go again too: they are not held, and the next answer reports them.
    return {
      kind: "retry",
      error: `${retry.length} item(s) to retry, first: ${firstRetry.error}`,
      remaining: [...retry, ...rejected].map((item) => item.id),
    };
  }
  const [firstRejected] = rejected;
  if (firstRejected === undefined) return { kind: "delivered" };
  return {
    kind: "rejected",
    error: `${rejected.length} item(s) refused, first: ${firstRejected.error}`,
    rejected,
  };
}
