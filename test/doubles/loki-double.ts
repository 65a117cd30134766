import {
  headerValue,
  ReceiverDouble,
  type DoubleReply,
  type RecordedRequest,
} from "./recording-http-server.ts";

/** A stream as pushed: its labels and `[ns timestamp, line]` values. */
export interface LokiPushedStream {
  readonly stream: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [string, string])[];
}

export interface LokiDoubleOptions {
  /** Require `X-Scope-OrgID` with this tenant (multi-tenant mode). */
  readonly tenant?: string;
  /** The only label names allowed (a cardinality guard); every stream must carry all of them. */
  readonly labels?: readonly string[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NANOSECONDS = /^[0-9]{1,19}$/;

/**
 * A conformance receiver for the Loki push API (grafana.com/docs/loki, "POST
 * /loki/api/v1/push"): JSON `{"streams":[{"stream":{labels},"values":[["<ns>","<line>"]]}]}`,
 * valid label names, nanosecond timestamps as strings, entries of a stream in timestamp order
 * (400 "entry out of order" otherwise, as Loki without out-of-order ingestion), the tenant header
 * in multi-tenant mode (401 "no org id"); 204 when accepted.
 */
export class LokiDouble extends ReceiverDouble {
  readonly streams: LokiPushedStream[] = [];
  readonly #options: LokiDoubleOptions;

  private constructor(options: LokiDoubleOptions) {
    super();
    this.#options = options;
  }

  static async start(options: LokiDoubleOptions = {}): Promise<LokiDouble> {
    const double = new LokiDouble(options);
    return double.listen();
  }

  protected handle(request: RecordedRequest): DoubleReply {
    if (request.method !== "POST" || request.path !== "/loki/api/v1/push")
      return { status: 404, body: "404 page not found\n" };
    if (
      this.#options.tenant !== undefined &&
      headerValue(request, "x-scope-orgid") !== this.#options.tenant
    ) {
      return { status: 401, body: "no org id\n" };
    }
    if (!(headerValue(request, "content-type") ?? "").startsWith("application/json")) {
      return { status: 415, body: "unsupported content type\n" };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.toString("utf8"));
    } catch {
      return { status: 400, body: "loghttp: error parsing request body: invalid JSON\n" };
    }
    const streams = (parsed as { streams?: unknown } | null)?.streams;
    if (!Array.isArray(streams)) return { status: 400, body: "streams must be an array\n" };
    for (const stream of streams as unknown[]) {
      const problem = this.#checkStream(stream);
      if (problem !== undefined) return { status: 400, body: `${problem}\n` };
    }
    this.streams.push(...(streams as LokiPushedStream[]));
    return { status: 204 };
  }

  #checkStream(candidate: unknown): string | undefined {
    const { stream, values } = (candidate ?? {}) as { stream?: unknown; values?: unknown };
    if (typeof stream !== "object" || stream === null) return "stream labels missing";
    const labels = Object.entries(stream);
    if (labels.length === 0) return "error at least one label pair is required per stream";
    for (const [name, value] of labels) {
      if (!LABEL_NAME.test(name) || typeof value !== "string") return `invalid label ${name}`;
      if (this.#options.labels !== undefined && !this.#options.labels.includes(name))
        return `label ${name} is not allowed`;
    }
    if (this.#options.labels?.some((name) => !(name in stream)) === true)
      return "a required label is missing";
    if (!Array.isArray(values) || values.length === 0) return "values missing";
    let previous = -1n;
    for (const value of values as unknown[]) {
      if (!Array.isArray(value) || value.length < 2 || typeof value[1] !== "string") return "invalid entry";
      const timestamp: unknown = value[0];
      if (typeof timestamp !== "string" || !NANOSECONDS.test(timestamp)) return "invalid timestamp";
      if (BigInt(timestamp) < previous) return `entry out of order for stream ${JSON.stringify(stream)}`;
      previous = BigInt(timestamp);
    }
    return undefined;
  }
}
