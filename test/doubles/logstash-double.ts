import {
  headerValue,
  ReceiverDouble,
  type DoubleReply,
  type RecordedRequest,
} from "./recording-http-server.ts";

/**
 * A receiver that behaves like the Logstash `http` input with its default codecs: a body with
 * `Content-Type: application/json` goes through the `json` codec, which makes one event per element
 * of a top-level array (or one event for an object); 200 `ok`. Optional Basic authentication
 * (the input's `user`/`password`), 401 without it. Stricter than Logstash on one point: a body
 * that is not JSON gets 400 here, where the codec would tag an event `_jsonparsefailure`.
 */
export class LogstashDouble extends ReceiverDouble {
  readonly events: Record<string, unknown>[] = [];
  readonly #basic: string | undefined;

  private constructor(basic: string | undefined) {
    super();
    this.#basic = basic;
  }

  static async start(credentials?: { user: string; password: string }): Promise<LogstashDouble> {
    const basic =
      credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;
    const double = new LogstashDouble(basic);
    return double.listen();
  }

  protected handle(request: RecordedRequest): DoubleReply {
    if (this.#basic !== undefined && headerValue(request, "authorization") !== this.#basic) {
      return { status: 401, headers: { "www-authenticate": 'Basic realm="Logstash"' }, body: "" };
    }
    if (!(headerValue(request, "content-type") ?? "").startsWith("application/json")) {
      return { status: 415, body: "expected application/json" };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.toString("utf8"));
    } catch {
      return { status: 400, body: "invalid JSON" };
    }
    const events = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    if (events.some((event) => typeof event !== "object" || event === null || Array.isArray(event))) {
      return { status: 400, body: "every event must be a JSON object" };
    }
    this.events.push(...(events as Record<string, unknown>[]));
    return { status: 200, body: "ok" };
  }
}
