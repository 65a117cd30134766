import {
  headerValue,
  ReceiverDouble,
  type DoubleReply,
  type RecordedRequest,
} from "./recording-http-server.ts";

/** An event envelope as the HEC event endpoint documents it. */
export interface HecEnvelope {
  readonly time: number;
  readonly host?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly index?: string;
  readonly event: unknown;
}

export interface SplunkHecDoubleOptions {
  readonly token: string;
  /** Indexer acknowledgement on for the token: a channel is required and ack ids are returned. */
  readonly ack?: boolean;
  /** Ack polls answered `false` before the ack turns true; `Infinity` never acknowledges. */
  readonly pendingPolls?: number;
  /** The indexes the token may write to (Splunk answers code 7 for others). */
  readonly indexes?: readonly string[];
}

const ENVELOPE_KEYS = new Set(["time", "host", "source", "sourcetype", "index", "event", "fields"]);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hec = (status: number, text: string, code: number, extra: object = {}): DoubleReply => ({
  status,
  body: { text, code, ...extra },
});

/**
 * A conformance receiver for the Splunk HTTP Event Collector (docs.splunk.com, "Format events for
 * HTTP Event Collector" and "HTTP Event Collector error codes"): exact path, `Authorization:
 * Splunk <token>`, concatenated JSON envelopes with a numeric `time` and a non-empty `event`,
 * the documented error codes, and indexer acknowledgement with channels.
 */
export class SplunkHecDouble extends ReceiverDouble {
  readonly events: HecEnvelope[] = [];
  readonly #options: SplunkHecDoubleOptions;
  readonly #acks = new Map<number, number>();
  #nextAck = 0;

  private constructor(options: SplunkHecDoubleOptions) {
    super();
    this.#options = options;
  }

  static async start(options: SplunkHecDoubleOptions): Promise<SplunkHecDouble> {
    const double = new SplunkHecDouble(options);
    return double.listen();
  }

  protected handle(request: RecordedRequest): DoubleReply {
    const path = request.path.split("?")[0];
    if (request.method !== "POST") return hec(405, "Method not allowed", 404);
    if (path !== "/services/collector/event" && path !== "/services/collector/ack") {
      return hec(404, "The requested URL was not found on this server.", 404);
    }
    const authorization = headerValue(request, "authorization");
    if (authorization === undefined) return hec(401, "Token is required", 2);
    const match = /^Splunk (\S+)$/.exec(authorization);
    if (match === null) return hec(401, "Invalid authorization", 3);
    if (match[1] !== this.#options.token) return hec(403, "Invalid token", 4);
    const channel = headerValue(request, "x-splunk-request-channel");
    if (this.#options.ack === true && (channel === undefined || !GUID.test(channel))) {
      return channel === undefined
        ? hec(400, "Data channel is missing", 10)
        : hec(400, "Invalid data channel", 11);
    }
    return path === "/services/collector/ack" ? this.#ack(request) : this.#event(request);
  }

  #event(request: RecordedRequest): DoubleReply {
    const text = request.body.toString("utf8");
    if (text.trim() === "") return hec(400, "No data", 5);
    const values = splitConcatenatedJson(text);
    if (values === undefined) return hec(400, "Invalid data format", 6);
    const accepted: HecEnvelope[] = [];
    for (const [index, raw] of values.entries()) {
      const envelope = JSON.parse(raw) as Record<string, unknown>;
      const invalid = { "invalid-event-number": index };
      if (Object.keys(envelope).some((key) => !ENVELOPE_KEYS.has(key)))
        return hec(400, "Invalid data format", 6, invalid);
      if (!("event" in envelope)) return hec(400, "Event field is required", 12, invalid);
      if (envelope.event === "" || envelope.event === null)
        return hec(400, "Event field cannot be blank", 13, invalid);
      if (typeof envelope.time !== "number" || !Number.isFinite(envelope.time))
        return hec(400, "Invalid data format", 6, invalid);
      const index_ = envelope.index;
      if (
        index_ !== undefined &&
        (typeof index_ !== "string" || !(this.#options.indexes ?? [index_]).includes(index_))
      ) {
        return hec(400, "Incorrect index", 7, invalid);
      }
      accepted.push(envelope as unknown as HecEnvelope);
    }
    this.events.push(...accepted);
    if (this.#options.ack !== true) return hec(200, "Success", 0);
    const ackId = this.#nextAck++;
    this.#acks.set(ackId, this.#options.pendingPolls ?? 0);
    return hec(200, "Success", 0, { ackId });
  }

  #ack(request: RecordedRequest): DoubleReply {
    if (this.#options.ack !== true) return hec(400, "ACK is disabled", 14);
    let ids: unknown;
    try {
      ids = (JSON.parse(request.body.toString("utf8")) as { acks?: unknown }).acks;
    } catch {
      return hec(400, "Invalid data format", 6);
    }
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "number"))
      return hec(400, "Invalid data format", 6);
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const pending = this.#acks.get(id);
      acks[String(id)] = pending === 0;
      if (pending !== undefined && pending > 0) this.#acks.set(id, pending - 1);
    }
    return { status: 200, body: { acks } };
  }
}

/**
 * The JSON objects of a HEC body: objects one after the other, white space allowed between them.
 * Undefined when the body is anything else.
 */
export function splitConcatenatedJson(text: string): string[] | undefined {
  const values: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"' && depth > 0) inString = true;
    else if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" && depth > 0) {
      depth--;
      if (depth === 0) values.push(text.slice(start, i + 1));
    } else if (depth === 0 && !/\s/.test(c ?? "")) return undefined;
  }
  if (depth !== 0 || inString) return undefined;
  return values.every(isJson) ? values : undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
