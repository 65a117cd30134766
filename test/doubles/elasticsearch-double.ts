import {
  headerValue,
  ReceiverDouble,
  type DoubleReply,
  type RecordedRequest,
} from "./recording-http-server.ts";

export interface ElasticsearchDoubleOptions {
  /** `Authorization: ApiKey <apiKey>` accepted. */
  readonly apiKey?: string;
  /** `Authorization: Basic` with these credentials accepted. */
  readonly basic?: { readonly user: string; readonly password: string };
}

interface ItemFailure {
  readonly status: number;
  readonly type: string;
}

const error = (status: number, type: string, reason: string): DoubleReply => ({
  status,
  body: { error: { root_cause: [{ type, reason }], type, reason }, status },
});

/**
 * A conformance receiver for the Elasticsearch `_bulk` API (elastic.co, "Bulk API"): NDJSON
 * terminated by a newline, `create`/`index` action lines with `_index`, a JSON document after each,
 * per-item results (201 created, 409 version_conflict_engine_exception for an id already there,
 * 400 mapper_parsing_exception for a bad document) and `errors: true|false`; scripted item
 * failures (429 / 5xx / 400) for chosen ids.
 */
export class ElasticsearchDouble extends ReceiverDouble {
  /** The stored documents by `<index>/<id>`. */
  readonly documents = new Map<string, Record<string, unknown>>();
  readonly #options: ElasticsearchDoubleOptions;
  readonly #failures = new Map<string, ItemFailure>();

  private constructor(options: ElasticsearchDoubleOptions) {
    super();
    this.#options = options;
  }

  static async start(options: ElasticsearchDoubleOptions = {}): Promise<ElasticsearchDouble> {
    const double = new ElasticsearchDouble(options);
    return double.listen();
  }

  /** The next item with this `_id` fails once with `status` and error `type`. */
  failItemOnce(id: string, status: number, type: string): void {
    this.#failures.set(id, { status, type });
  }

  protected handle(request: RecordedRequest): DoubleReply {
    if (request.method !== "POST" || request.path.split("?")[0] !== "/_bulk") {
      return error(404, "resource_not_found_exception", `no handler for ${request.method} ${request.path}`);
    }
    if (!this.#authorized(headerValue(request, "authorization"))) {
      return error(401, "security_exception", "missing authentication credentials for REST request [/_bulk]");
    }
    const type = (headerValue(request, "content-type") ?? "").split(";")[0];
    if (type !== "application/x-ndjson" && type !== "application/json") {
      return error(406, "media_type_header_exception", `Content-Type header [${type}] is not supported`);
    }
    const text = request.body.toString("utf8");
    if (!text.endsWith("\n")) {
      return error(
        400,
        "illegal_argument_exception",
        "The bulk request must be terminated by a newline [\\n]",
      );
    }
    const lines = text.slice(0, -1).split("\n");
    if (lines.length % 2 !== 0) return error(400, "illegal_argument_exception", "action without a document");
    const items: object[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const item = this.#item(lines[i] ?? "", lines[i + 1] ?? "");
      if (item === undefined)
        return error(400, "illegal_argument_exception", `Malformed action/metadata line [${i + 1}]`);
      items.push(item);
    }
    const errors = items.some((item) =>
      Object.values(item).some((result: { status: number }) => result.status >= 300),
    );
    return { status: 200, body: { took: 1, errors, items } };
  }

  #authorized(authorization: string | undefined): boolean {
    const { apiKey, basic } = this.#options;
    if (apiKey === undefined && basic === undefined) return true;
    if (apiKey !== undefined && authorization === `ApiKey ${apiKey}`) return true;
    const expected =
      basic === undefined ? undefined : Buffer.from(`${basic.user}:${basic.password}`).toString("base64");
    return expected !== undefined && authorization === `Basic ${expected}`;
  }

  #item(actionLine: string, documentLine: string): object | undefined {
    let action: Record<string, { _index?: unknown; _id?: unknown }>;
    try {
      action = JSON.parse(actionLine) as typeof action;
    } catch {
      return undefined;
    }
    const [op, ...others] = Object.keys(action);
    const meta = op === undefined ? undefined : action[op];
    if ((op !== "create" && op !== "index") || others.length > 0 || meta === undefined) return undefined;
    if (typeof meta._index !== "string") return undefined;
    const id = typeof meta._id === "string" ? meta._id : `auto-${this.documents.size}`;
    const base = { _index: meta._index, _id: id };
    const failure = this.#failures.get(id);
    if (failure !== undefined) {
      this.#failures.delete(id);
      return {
        [op]: {
          ...base,
          status: failure.status,
          error: { type: failure.type, reason: `scripted ${failure.type}` },
        },
      };
    }
    let document: unknown;
    try {
      document = JSON.parse(documentLine);
    } catch {
      document = undefined;
    }
    if (typeof document !== "object" || document === null || Array.isArray(document)) {
      return {
        [op]: {
          ...base,
          status: 400,
          error: { type: "mapper_parsing_exception", reason: "failed to parse" },
        },
      };
    }
    const key = `${meta._index}/${id}`;
    if (op === "create" && this.documents.has(key)) {
      const reason = `[${id}]: version conflict, document already exists (current version [1])`;
      return { [op]: { ...base, status: 409, error: { type: "version_conflict_engine_exception", reason } } };
    }
    this.documents.set(key, document as Record<string, unknown>);
    return { [op]: { ...base, _version: 1, result: "created", status: 201 } };
  }
}
