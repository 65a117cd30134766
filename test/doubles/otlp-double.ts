import {
  headerValue,
  ReceiverDouble,
  type DoubleReply,
  type RecordedRequest,
} from "./recording-http-server.ts";

/** A log record as received, with its resource and scope. */
export interface OtlpReceivedRecord {
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: { readonly name?: string; readonly version?: string };
  readonly record: {
    readonly timeUnixNano: string;
    readonly observedTimeUnixNano?: string;
    readonly severityNumber: number;
    readonly severityText: string;
    readonly body: { readonly stringValue?: string };
    readonly attributes: Readonly<Record<string, unknown>>;
  };
}

const ANY_VALUE_KEYS = [
  "stringValue",
  "boolValue",
  "intValue",
  "doubleValue",
  "arrayValue",
  "kvlistValue",
  "bytesValue",
];

/**
 * A conformance receiver for OTLP/HTTP logs in JSON (opentelemetry.io/docs/specs/otlp): `POST
 * /v1/logs`, `Content-Type: application/json`, ExportLogsServiceRequest with resourceLogs /
 * scopeLogs / logRecords, 64-bit integers as decimal strings, enums as numbers, attributes as
 * KeyValue lists with one AnyValue member; 400 for anything else. A scripted partial success
 * answers 200 with `partialSuccess.rejectedLogRecords`.
 */
export class OtlpDouble extends ReceiverDouble {
  readonly records: OtlpReceivedRecord[] = [];
  #partial: { readonly rejected: number; readonly message: string } | undefined;

  static async start(): Promise<OtlpDouble> {
    const double = new OtlpDouble();
    return double.listen();
  }

  /** The next export is answered as a partial success that rejected `rejected` records. */
  rejectNext(rejected: number, message: string): void {
    this.#partial = { rejected, message };
  }

  protected handle(request: RecordedRequest): DoubleReply {
    if (request.method !== "POST" || request.path !== "/v1/logs") return { status: 404, body: "not found" };
    if (headerValue(request, "content-type") !== "application/json")
      return { status: 415, body: "unsupported" };
    let received: OtlpReceivedRecord[];
    try {
      received = readExport(JSON.parse(request.body.toString("utf8")));
    } catch (error) {
      return { status: 400, body: { code: 3, message: (error as Error).message } };
    }
    this.records.push(...received);
    const partial = this.#partial;
    this.#partial = undefined;
    if (partial === undefined) return { status: 200, body: {} };
    return {
      status: 200,
      body: {
        partialSuccess: { rejectedLogRecords: String(partial.rejected), errorMessage: partial.message },
      },
    };
  }
}

function fail(message: string): never {
  throw new Error(message);
}

function list(value: unknown, name: string): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : fail(`${name} must be an array`);
}

function keyValues(value: unknown, name: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const item of list(value ?? [], name)) {
    const { key, value: any } = item as { key?: unknown; value?: Record<string, unknown> };
    if (typeof key !== "string" || typeof any !== "object") fail(`${name}: KeyValue needs key and value`);
    const members = Object.keys(any).filter((member) => ANY_VALUE_KEYS.includes(member));
    if (members.length !== 1) fail(`${name}.${key}: AnyValue needs exactly one value`);
    const [member] = members as [string];
    if (member === "intValue" && (typeof any.intValue !== "string" || !/^-?\d+$/.test(any.intValue))) {
      fail(`${name}.${key}: intValue is a decimal string`);
    }
    result[key] = any[member];
  }
  return result;
}

function readExport(request: unknown): OtlpReceivedRecord[] {
  const received: OtlpReceivedRecord[] = [];
  for (const resourceLogs of list((request as { resourceLogs?: unknown }).resourceLogs, "resourceLogs")) {
    const { resource, scopeLogs } = resourceLogs as {
      resource?: { attributes?: unknown };
      scopeLogs?: unknown;
    };
    const resourceAttributes = keyValues(resource?.attributes, "resource.attributes");
    for (const scopeLog of list(scopeLogs, "scopeLogs")) {
      const { scope, logRecords } = scopeLog as {
        scope?: { name?: string; version?: string };
        logRecords?: unknown;
      };
      for (const record of list(logRecords, "logRecords"))
        received.push(readRecord(record, resourceAttributes, scope ?? {}));
    }
  }
  return received;
}

function readRecord(
  raw: unknown,
  resource: Record<string, unknown>,
  scope: { name?: string; version?: string },
): OtlpReceivedRecord {
  const record = raw as Record<string, unknown>;
  const nanos = /^\d{1,20}$/;
  if (typeof record.timeUnixNano !== "string" || !nanos.test(record.timeUnixNano))
    fail("timeUnixNano is a decimal string");
  if (
    record.observedTimeUnixNano !== undefined &&
    (typeof record.observedTimeUnixNano !== "string" || !nanos.test(record.observedTimeUnixNano))
  ) {
    fail("observedTimeUnixNano is a decimal string");
  }
  const severity = record.severityNumber;
  if (typeof severity !== "number" || !Number.isInteger(severity) || severity < 1 || severity > 24)
    fail("severityNumber is 1..24");
  if (typeof record.severityText !== "string") fail("severityText is a string");
  const body = record.body as { stringValue?: unknown } | undefined;
  if (typeof body?.stringValue !== "string") fail("body.stringValue is a string");
  return {
    resource,
    scope,
    record: {
      timeUnixNano: record.timeUnixNano,
      ...(typeof record.observedTimeUnixNano === "string"
        ? { observedTimeUnixNano: record.observedTimeUnixNano }
        : {}),
      severityNumber: severity,
      severityText: record.severityText,
      body: { stringValue: body.stringValue },
      attributes: keyValues(record.attributes, "attributes"),
    },
  };
}
