import { z } from "zod";
import { postToReceiver, replyResult } from "./receiver-post.ts";
import { endpointUrl, receiverUrl } from "./receiver-url.ts";
import { sinkRecordFacts, sinkRecordLine } from "./sink-record-document.ts";
import type {
  SinkRecord,
  SinkTransport,
  SinkTransportConfig,
  SinkTransportDependencies,
} from "./sink-transport.ts";
import { nameOption, textOption } from "./transport-options.ts";

export const lokiOptionsSchema = z.strictObject({
  /** Sent as `X-Scope-OrgID` (multi-tenant Loki, Grafana Enterprise Logs). */
  tenant: textOption.optional(),
  /** The fixed `service_name` label of every stream. */
  serviceName: nameOption.default("package-broker"),
});
export type LokiOptions = z.output<typeof lokiOptionsSchema>;

const RECEIVER = "Loki";

/** A Loki stream: its labels and its `[timestamp, line]` values. */
export interface LokiStream {
  readonly stream: Readonly<Record<string, string>>;
  readonly values: [string, string][];
}

/**
 * Grafana Loki push API: `POST /loki/api/v1/push`, JSON streams keyed by low-cardinality labels
 * only (`service_name`, `category`, `action`, `severity`); ids, actors and addresses stay in the
 * line. Entries of a stream are sorted by timestamp (nanoseconds, as a string).
 */
export function createLokiTransport(
  config: SinkTransportConfig,
  options: LokiOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const { base, authorization } = receiverUrl(config.url, config.token);
  const url = endpointUrl(base, "/loki/api/v1/push");
  const headers: Record<string, string> = { "content-type": "application/json", ...authorization };
  if (options.tenant !== undefined) headers["x-scope-orgid"] = options.tenant;

  return {
    maxBatch: 500,
    async deliver(records, signal) {
      const streams = lokiStreams(
        records,
        (record) => sinkRecordLine(record, config.format, deps.product),
        options,
      );
      const reply = await postToReceiver({ url, headers, body: JSON.stringify({ streams }), signal });
      return replyResult(reply, RECEIVER, deps.clock);
    },
    close: () => Promise.resolve(),
  };
}

/** The records grouped into streams by label set, each stream's values in timestamp order. */
export function lokiStreams(
  records: readonly SinkRecord[],
  line: (record: SinkRecord) => string,
  options: LokiOptions,
): LokiStream[] {
  const streams = new Map<string, { stream: Record<string, string>; values: [number, string][] }>();
  for (const record of records) {
    const facts = sinkRecordFacts(record);
    const labels = {
      service_name: options.serviceName,
      category: facts.category,
      action: facts.action,
      severity: facts.severity,
    };
    const key = JSON.stringify(labels);
    let stream = streams.get(key);
    if (stream === undefined) {
      stream = { stream: labels, values: [] };
      streams.set(key, stream);
    }
    stream.values.push([facts.timestampMs, line(record)]);
  }
  // A stable sort: records with the same millisecond keep their delivery (seq) order.
  return [...streams.values()].map(({ stream, values }) => ({
    stream,
    values: values.sort((a, b) => a[0] - b[0]).map(([ms, text]) => [`${ms}000000`, text]),
  }));
}
