import { gunzipSync } from "node:zlib";
import {
  headerValue,
  ReceiverDouble,
  type DoubleReply,
  type RecordedRequest,
} from "./recording-http-server.ts";

/** The limits of the Datadog logs intake v2 (docs.datadoghq.com/api/latest/logs/#send-logs). */
const MAX_ENTRIES = 1000;
const MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;
const MAX_ENTRY_BYTES = 1024 * 1024;

/** What the intake accepted: one entry of a request's array. */
export interface DatadogEntry {
  readonly ddsource?: string;
  readonly ddtags?: string;
  readonly hostname?: string;
  readonly service?: string;
  readonly message: string;
  readonly [attribute: string]: unknown;
}

const problem = (status: number, title: string, detail: string): DoubleReply => ({
  status,
  body: { errors: [{ status: String(status), title, detail }] },
});

/**
 * A conformance receiver for the Datadog logs intake v2: `POST /api/v2/logs`, `DD-API-KEY`,
 * gzip (or no) content encoding, a JSON array (or one object); 1,000 entries and 5 MB
 * uncompressed per request and 1 MB per entry, refused with 413 as the intake does; 400 for a
 * body that is not JSON; 202 `{}` when accepted.
 */
export class DatadogDouble extends ReceiverDouble {
  readonly entries: DatadogEntry[] = [];
  /** The uncompressed size and entry count of every accepted request. */
  readonly accepted: { readonly bytes: number; readonly count: number }[] = [];
  readonly #apiKey: string;

  private constructor(apiKey: string) {
    super();
    this.#apiKey = apiKey;
  }

  static async start(apiKey: string): Promise<DatadogDouble> {
    const double = new DatadogDouble(apiKey);
    return double.listen();
  }

  protected handle(request: RecordedRequest): DoubleReply {
    if (request.method !== "POST" || request.path.split("?")[0] !== "/api/v2/logs") {
      return problem(404, "Not Found", "no such endpoint");
    }
    if (headerValue(request, "dd-api-key") !== this.#apiKey) return problem(403, "Forbidden", "Forbidden");
    if (!(headerValue(request, "content-type") ?? "").startsWith("application/json")) {
      return problem(400, "Bad Request", "unsupported content type");
    }
    const payload = this.#decode(request);
    if (!Buffer.isBuffer(payload)) return payload;
    if (payload.byteLength > MAX_PAYLOAD_BYTES) return problem(413, "Payload Too Large", "payload over 5MB");
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString("utf8"));
    } catch {
      return problem(400, "Bad Request", "invalid JSON");
    }
    const entries = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    if (entries.length > MAX_ENTRIES) return problem(413, "Payload Too Large", "more than 1000 entries");
    for (const entry of entries) {
      if (
        typeof entry !== "object" ||
        entry === null ||
        typeof (entry as { message?: unknown }).message !== "string"
      ) {
        return problem(400, "Bad Request", "an entry is not a log object with a message");
      }
      if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES) {
        return problem(413, "Payload Too Large", "an entry is over 1MB");
      }
    }
    this.entries.push(...(entries as DatadogEntry[]));
    this.accepted.push({ bytes: payload.byteLength, count: entries.length });
    return { status: 202, body: {} };
  }

  #decode(request: RecordedRequest): Buffer | DoubleReply {
    const encoding = headerValue(request, "content-encoding");
    if (encoding === undefined || encoding === "identity") return request.body;
    if (encoding !== "gzip") return problem(415, "Unsupported Media Type", `encoding ${encoding}`);
    try {
      return gunzipSync(request.body, { maxOutputLength: MAX_PAYLOAD_BYTES + 1 });
    } catch (error) {
      const tooLarge =
        error instanceof RangeError || (error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE";
      return tooLarge
        ? problem(413, "Payload Too Large", "payload over 5MB")
        : problem(400, "Bad Request", "not gzip");
    }
  }
}
