import { afterEach, describe, expect, it } from "vitest";
import { RecordingHttpServer } from "../../../test/doubles/recording-http-server.ts";
import { attemptSignal, exampleRecords, testTransport } from "../../../test/doubles/transport-harness.ts";
import { freePort } from "../../../test/support/free-port.ts";
import { ManualClock } from "../../clock/clock.ts";
import { MAX_RESPONSE_BYTES, postToReceiver, replyResult } from "./receiver-post.ts";
import type { SinkTransport } from "./sink-transport.ts";

/** Every HTTP transport, configured to post to `url`. */
const httpTransports: readonly [string, (url: string) => SinkTransport][] = [
  ["splunk-hec", (url) => testTransport({ type: "splunk-hec", url, token: "t" })],
  ["datadog", (url) => testTransport({ type: "datadog", url, token: "t" })],
  ["elasticsearch", (url) => testTransport({ type: "elasticsearch", url })],
  ["logstash", (url) => testTransport({ type: "logstash", url })],
  ["loki", (url) => testTransport({ type: "loki", url })],
  ["otlp", (url) => testTransport({ type: "otlp", url })],
  [
    "webhook",
    (url) => testTransport({ type: "webhook", url, secrets: [{ keyId: "k", secret: "s".repeat(32) }] }),
  ],
];

let server: RecordingHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function hostile(...replies: Parameters<RecordingHttpServer["script"]>): Promise<string> {
  server = await RecordingHttpServer.start(() => ({ status: 200, body: "{}" }));
  server.script(...replies);
  return server.url;
}

describe.each(httpTransports)("%s transport against a hostile receiver", (_type, make) => {
  it("retries when the receiver never answers and the signal aborts", async () => {
    const transport = make(await hostile("hang"));
    const result = await transport.deliver(exampleRecords, attemptSignal(100));
    expect(result).toMatchObject({ kind: "retry", error: expect.stringContaining("aborted") as unknown });
  });

  it("retries when the connection is refused", async () => {
    const transport = make(`http://127.0.0.1:${await freePort()}`);
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toMatchObject({
      kind: "retry",
      error: expect.stringContaining("ECONNREFUSED") as unknown,
    });
  });

  it.each([401, 403])("is rejected on %i", async (status) => {
    const transport = make(await hostile({ status, body: "nope" }));
    expect(await transport.deliver(exampleRecords, attemptSignal())).toMatchObject({ kind: "rejected" });
  });

  it("retries a 500 whose body is huge garbage, quoting only a little of it", async () => {
    const transport = make(
      await hostile({ status: 500, body: `\u0000garbage${"x".repeat(MAX_RESPONSE_BYTES + 10)}` }),
    );
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result.kind).toBe("retry");
    expect(result.kind === "retry" && result.error.length).toBeLessThan(500);
  });

  it("does not follow a redirect (rejected: the configured URL must be the final one)", async () => {
    const transport = make(
      await hostile({ status: 307, headers: { location: "http://127.0.0.1:1/elsewhere" } }),
    );
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toMatchObject({ kind: "rejected", error: expect.stringContaining("redirect") as unknown });
  });
});

describe("replyResult", () => {
  const clock = new ManualClock("2026-03-01T10:00:00.000Z");
  const reply = (status: number, headers: Record<string, string> = {}) =>
    ({ kind: "response", status, headers: new Headers(headers), text: "", truncated: false }) as const;

  it("maps 2xx to delivered, 408/429/5xx to retry and other statuses to rejected", () => {
    expect(replyResult(reply(204), "r", clock)).toEqual({ kind: "delivered" });
    for (const status of [408, 429, 500, 502, 503, 504])
      expect(replyResult(reply(status), "r", clock).kind).toBe("retry");
    for (const status of [301, 400, 401, 403, 404, 413, 422])
      expect(replyResult(reply(status), "r", clock).kind).toBe("rejected");
    expect(replyResult({ kind: "unreachable", error: "x" }, "r", clock)).toEqual({
      kind: "retry",
      error: "r: x",
    });
  });

  it("never puts the URL's credentials in an error", async () => {
    const port = await freePort();
    const result = await postToReceiver({
      url: `http://127.0.0.1:${port}/path?token=secret-in-query`,
      headers: {},
      body: "",
      signal: attemptSignal(),
    });
    expect(result.kind === "unreachable" && result.error).not.toContain("secret");
  });
});
