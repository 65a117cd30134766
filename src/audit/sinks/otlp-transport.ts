import { z } from "zod";
import type { AuditSeverity } from "../audit-event.ts";
import type { ProductInfo } from "../export/product-info.ts";
import { isSuccessReply, postToReceiver, quoteBody, replyJson, replyResult } from "./receiver-post.ts";
import { endpointUrl, receiverUrl } from "./receiver-url.ts";
import { sinkRecordFacts, sinkRecordLine } from "./sink-record-document.ts";
import type {
  DeliveryResult,
  SinkRecord,
  SinkTransport,
  SinkTransportConfig,
  SinkTransportDependencies,
} from "./sink-transport.ts";
import { nameOption } from "./transport-options.ts";

export const otlpOptionsSchema = z.strictObject({
  /** The `service.name` resource attribute. */
  serviceName: nameOption.default("package-broker"),
});
export type OtlpOptions = z.output<typeof otlpOptionsSchema>;

const RECEIVER = "OTLP receiver";

/** The instrumentation scope the records are produced by. */
export const OTLP_SCOPE_NAME = "package-broker.audit";

/** OpenTelemetry severity numbers (INFO 9, WARN 13, ERROR 17) and texts. */
const SEVERITY: Readonly<Record<AuditSeverity, readonly [number, string]>> = {
  info: [9, "INFO"],
  warning: [13, "WARN"],
  error: [17, "ERROR"],
};

type AnyValue = { stringValue: string } | { intValue: string };

function attribute(key: string, value: string | number): { key: string; value: AnyValue } {
  return { key, value: typeof value === "number" ? { intValue: String(value) } : { stringValue: value } };
}

const exportResponse = z.object({
  partialSuccess: z
    .object({
      rejectedLogRecords: z.union([z.number(), z.string()]).optional(),
      errorMessage: z.string().optional(),
    })
    .optional(),
});

/**
 * OTLP/HTTP logs in the JSON encoding: `POST /v1/logs` with one resource, one scope and a log
 * record per sink record. `log.record.uid` carries the record id for de-duplication.
 */
export function createOtlpTransport(
  config: SinkTransportConfig,
  options: OtlpOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const { base, authorization } = receiverUrl(config.url, config.token);
  const url = endpointUrl(base, "/v1/logs");
  const headers: Record<string, string> = { "content-type": "application/json", ...authorization };

  return {
    maxBatch: 500,
    async deliver(records, signal) {
      const observed = `${deps.clock.now().getTime()}000000`;
      const body = JSON.stringify(
        otlpLogsRequest(records, options, deps.product, (record) => ({
          observedTimeUnixNano: observed,
          line: sinkRecordLine(record, config.format, deps.product),
        })),
      );
      const reply = await postToReceiver({ url, headers, body, signal });
      if (!isSuccessReply(reply)) return replyResult(reply, RECEIVER, deps.clock);
      return partialSuccessResult(replyJson(reply.text));
    },
    close: () => Promise.resolve(),
  };
}

/** An ExportLogsServiceRequest (OTLP JSON) for the records. */
export function otlpLogsRequest(
  records: readonly SinkRecord[],
  options: OtlpOptions,
  product: ProductInfo,
  render: (record: SinkRecord) => { observedTimeUnixNano: string; line: string },
): Record<string, unknown> {
  const resource = [
    attribute("service.name", options.serviceName),
    attribute("service.version", product.version),
  ];
  if (product.host !== undefined) resource.push(attribute("host.name", product.host));
  const logRecords = records.map((record) => {
    const facts = sinkRecordFacts(record);
    const { observedTimeUnixNano, line } = render(record);
    const [severityNumber, severityText] = SEVERITY[facts.severity];
    const attributes = [
      attribute("log.record.uid", facts.id),
      attribute("event.name", `package_broker.${facts.category}.${facts.action}`),
      attribute("package_broker.category", facts.category),
      attribute("package_broker.action", facts.action),
    ];
    if (record.kind === "event") {
      attributes.push(attribute("package_broker.seq", record.event.seq));
      attributes.push(attribute("package_broker.outcome", record.event.outcome));
      attributes.push(attribute("user.id", record.event.user));
    }
    return {
      timeUnixNano: `${facts.timestampMs}000000`,
      observedTimeUnixNano,
      severityNumber,
      severityText,
      body: { stringValue: line },
      attributes,
    };
  });
  return {
    resourceLogs: [
      {
        resource: { attributes: resource },
        scopeLogs: [{ scope: { name: OTLP_SCOPE_NAME, version: product.version }, logRecords }],
      },
    ],
  };
}

/**
 * A 2xx answer: delivered, unless `partialSuccess.rejectedLogRecords` > 0. OTLP does not say
 * which records were refused, so the batch is `rejected` without ids: the sink splits it until the
 * refused record is alone (the others may arrive twice; `log.record.uid` de-duplicates). A 2xx
 * body that is not JSON counts as success, as the OTLP specification makes the status decisive.
 */
export function partialSuccessResult(answer: unknown): DeliveryResult {
  const parsed = exportResponse.safeParse(answer);
  const rejected = parsed.success ? Number(parsed.data.partialSuccess?.rejectedLogRecords ?? 0) : 0;
  if (!(rejected > 0)) return { kind: "delivered" };
  const message = parsed.data?.partialSuccess?.errorMessage ?? "";
  return {
    kind: "rejected",
    error: `${RECEIVER} rejected ${rejected} log record(s)${message === "" ? "" : `: ${quoteBody(message)}`}`,
  };
}
