import { createHash } from "node:crypto";
import { z } from "zod";
import { postToReceiver, replyResult } from "./receiver-post.ts";
import { receiverUrl } from "./receiver-url.ts";
import { sinkRecordDocument } from "./sink-record-document.ts";
import {
  sinkRecordId,
  type SigningSecret,
  type SinkTransport,
  type SinkTransportConfig,
  type SinkTransportDependencies,
} from "./sink-transport.ts";
import { webhookSignature } from "./webhook-signature.ts";

export const webhookOptionsSchema = z.strictObject({});
export type WebhookOptions = z.output<typeof webhookOptionsSchema>;

/** `PB-Record-Ids` is left out (`PB-Record-Count` stays) when the ids would be longer than this. */
export const MAX_RECORD_IDS_HEADER = 4000;

const RECEIVER = "webhook";

/**
 * The delivery id: derived from the ids of the records, so an attempt to deliver the same batch
 * again carries the same id and a receiver can drop the repeat.
 */
export function webhookDeliveryId(ids: readonly string[]): string {
  return `dlv_${createHash("sha256").update(ids.join(",")).digest("base64url").slice(0, 26)}`;
}

/**
 * A generic webhook: `POST <url>` with `{"delivery_id", "records": [{kind, id, data}]}`, signed
 * with HMAC-SHA256 over `<timestamp>.<body>` by every active secret (docs/audit-forwarding.md).
 */
export function createWebhookTransport(
  config: SinkTransportConfig & { readonly secrets: readonly SigningSecret[] },
  _options: WebhookOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const { base, authorization } = receiverUrl(config.url, config.token);
  const fixed: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": `${deps.product.product}/${deps.product.version}`,
    "pb-key-ids": config.secrets.map((secret) => secret.keyId).join(","),
    ...authorization,
  };

  return {
    maxBatch: 100,
    async deliver(records, signal) {
      const ids = records.map(sinkRecordId);
      const deliveryId = webhookDeliveryId(ids);
      const body = JSON.stringify({
        delivery_id: deliveryId,
        records: records.map((record, index) => ({
          kind: record.kind,
          id: ids[index],
          data: sinkRecordDocument(record, config.format, deps.product),
        })),
      });
      const timestamp = Math.floor(deps.clock.now().getTime() / 1000);
      const headers: Record<string, string> = {
        ...fixed,
        "pb-delivery-id": deliveryId,
        "pb-timestamp": String(timestamp),
        "pb-record-count": String(ids.length),
        "pb-signature": webhookSignature(config.secrets, timestamp, body),
      };
      const joined = ids.join(",");
      if (joined.length <= MAX_RECORD_IDS_HEADER) headers["pb-record-ids"] = joined;
      const reply = await postToReceiver({ url: base.href, headers, body, signal });
      return replyResult(reply, RECEIVER, deps.clock);
    },
    close: () => Promise.resolve(),
  };
}
