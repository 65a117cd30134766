import { z } from "zod";
import { postToReceiver, replyResult } from "./receiver-post.ts";
import { receiverUrl } from "./receiver-url.ts";
import { sinkRecordObject } from "./sink-record-document.ts";
import type { SinkTransport, SinkTransportConfig, SinkTransportDependencies } from "./sink-transport.ts";

export const logstashOptionsSchema = z.strictObject({});
export type LogstashOptions = z.output<typeof logstashOptionsSchema>;

const RECEIVER = "Logstash";

/**
 * The Logstash `http` input: one POST per batch, a JSON array with `Content-Type:
 * application/json`. The input's default codec for that type is `json`, which makes one event
 * per element of a top-level array. Its only authentication is Basic (the URL's userinfo); a
 * token, when set, is sent as a Bearer credential for a proxy in front of it.
 */
export function createLogstashTransport(
  config: SinkTransportConfig,
  _options: LogstashOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const { base, authorization } = receiverUrl(config.url, config.token);
  const headers: Record<string, string> = { "content-type": "application/json", ...authorization };

  return {
    maxBatch: 500,
    async deliver(records, signal) {
      const body = JSON.stringify(
        records.map((record) => sinkRecordObject(record, config.format, deps.product)),
      );
      const reply = await postToReceiver({ url: base.href, headers, body, signal });
      return replyResult(reply, RECEIVER, deps.clock);
    },
    close: () => Promise.resolve(),
  };
}
