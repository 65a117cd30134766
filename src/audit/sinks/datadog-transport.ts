import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { z } from "zod";
import { isSuccessReply, postToReceiver, replyResult } from "./receiver-post.ts";
import { endpointUrl, receiverUrl } from "./receiver-url.ts";
import { sinkRecordFacts, sinkRecordLine } from "./sink-record-document.ts";
import type {
  DeliveryResult,
  SinkRecord,
  SinkTransport,
  SinkTransportConfig,
  SinkTransportDependencies,
} from "./sink-transport.ts";
import { nameOption, textOption } from "./transport-options.ts";

const gzipAsync = promisify(gzip);

export const datadogOptionsSchema = z.strictObject({
  /** The Datadog site: datadoghq.com, datadoghq.eu, us3.datadoghq.com, ddog-gov.com ... */
  site: z
    .string()
    .regex(/^[a-z0-9]+(\.[a-z0-9]+)+$/, "a Datadog site such as datadoghq.eu")
    .default("datadoghq.com"),
  service: nameOption.default("package-broker"),
  source: nameOption.default("package-broker"),
  hostname: textOption.optional(),
  /** Comma-separated `key:value` tags added to every entry (`env:prod,team:security`). */
  tags: z
    .string()
    .regex(/^[A-Za-z0-9._:/-]+(,[A-Za-z0-9._:/-]+)*$/, "comma-separated key:value tags")
    .optional(),
});
export type DatadogOptions = z.output<typeof datadogOptionsSchema>;

/** Datadog's documented limits of the logs intake (v2). */
export const DATADOG_LIMITS = {
  entriesPerRequest: 1000,
  /** Uncompressed bytes of one request's JSON array. */
  bytesPerRequest: 5 * 1024 * 1024,
  /** Bytes of one entry's JSON. */
  bytesPerEntry: 1024 * 1024,
} as const;

const RECEIVER = "Datadog";

interface Entry {
  readonly id: string;
  readonly json: string;
  readonly bytes: number;
}

/** The intake URL: the configured url (a proxy or a test receiver) or the site's intake. */
export function datadogIntakeUrl(url: string, site: string): string {
  if (url === "") return `https://http-intake.logs.${site}/api/v2/logs`;
  return endpointUrl(receiverUrl(url).base, "/api/v2/logs");
}

/**
 * Datadog logs intake v2: gzip-compressed JSON arrays with `DD-API-KEY`, split to stay within
 * 1,000 entries and 5 MB per request; an entry over 1 MB is refused here, never sent.
 */
export function createDatadogTransport(
  config: SinkTransportConfig & { readonly token: string },
  options: DatadogOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const url = datadogIntakeUrl(config.url, options.site);
  const headers = {
    "dd-api-key": config.token,
    "content-type": "application/json",
    "content-encoding": "gzip",
  };
  const hostname = options.hostname ?? deps.product.host;

  function entry(record: SinkRecord): Entry {
    const facts = sinkRecordFacts(record);
    const fields: Record<string, unknown> = {
      ddsource: options.source,
      ddtags: [options.tags, `category:${facts.category}`].filter((tag) => tag !== undefined).join(","),
    };
    if (hostname !== undefined) fields.hostname = hostname;
    fields.service = options.service;
    fields.message = sinkRecordLine(record, config.format, deps.product);
    fields.timestamp = facts.timestampMs;
    fields.status = facts.severity === "warning" ? "warn" : facts.severity;
    fields.evt = { id: facts.id, name: `${facts.category}.${facts.action}`, category: facts.category };
    const json = JSON.stringify(fields);
    return { id: facts.id, json, bytes: Buffer.byteLength(json) };
  }

  async function send(chunk: readonly Entry[], signal: AbortSignal): Promise<DeliveryResult> {
    const body = await gzipAsync(`[${chunk.map((item) => item.json).join(",")}]`);
    const reply = await postToReceiver({ url, headers, body, signal });
    return isSuccessReply(reply) ? { kind: "delivered" } : replyResult(reply, RECEIVER, deps.clock);
  }

  return {
    maxBatch: DATADOG_LIMITS.entriesPerRequest,
    async deliver(records, signal) {
      const entries = records.map(entry);
      const oversized = entries.filter((item) => item.bytes > DATADOG_LIMITS.bytesPerEntry);
      const chunks = datadogRequests(entries.filter((item) => item.bytes <= DATADOG_LIMITS.bytesPerEntry));
      for (const [index, chunk] of chunks.entries()) {
        const result = await send(chunk, signal);
        if (result.kind === "retry") {
          const unsent = [...chunks.slice(index).flat(), ...oversized].map((item) => item.id);
          return { ...result, remaining: unsent };
        }
        if (result.kind === "rejected") return result;
      }
      if (oversized.length === 0) return { kind: "delivered" };
      const error = `entry larger than Datadog's ${DATADOG_LIMITS.bytesPerEntry} bytes per log`;
      return {
        kind: "rejected",
        error: `${RECEIVER}: ${oversized.length} record(s) too large to send`,
        rejected: oversized.map((item) => ({ id: item.id, error: `${error} (${item.bytes} bytes)` })),
      };
    },
    close: () => Promise.resolve(),
  };
}

/** Entries in order, cut into requests of at most 1,000 entries and 5 MB (the array's JSON). */
export function datadogRequests<T extends { readonly bytes: number }>(entries: readonly T[]): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let size = 2;
  for (const item of entries) {
    const added = item.bytes + (current.length > 0 ? 1 : 0);
    if (
      current.length > 0 &&
      (current.length >= DATADOG_LIMITS.entriesPerRequest || size + added > DATADOG_LIMITS.bytesPerRequest)
    ) {
      requests.push(current);
      current = [];
      size = 2;
    }
    size += item.bytes + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
