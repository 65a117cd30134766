import { afterEach, describe, expect, it } from "vitest";
import { SplunkHecDouble, splitConcatenatedJson } from "../../../test/doubles/splunk-hec-double.ts";
import {
  attemptSignal,
  exampleRecords,
  recordEvent,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";
import { checkpointJson } from "./sink-record-document.ts";

let double: SplunkHecDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

describe("Splunk HEC transport", () => {
  it("posts one envelope per record to /services/collector/event with the token", async () => {
    double = await SplunkHecDouble.start({ token: "hec-token", indexes: ["audit"] });
    const transport = testTransport({
      type: "splunk-hec",
      url: double.url,
      token: "hec-token",
      options: { index: "audit" },
    });

    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });

    const [request] = double.server.requests;
    expect(request?.path).toBe("/services/collector/event");
    expect(request?.headers.authorization).toBe("Splunk hec-token");
    expect(request?.headers["x-splunk-request-channel"]).toBeUndefined();
    expect(double.events).toHaveLength(exampleRecords.length);
    const first = recordEvent(exampleRecords[0]);
    expect(double.events[0]).toEqual({
      time: Date.parse(first.timestamp) / 1000,
      host: "broker-1",
      source: "package-broker",
      sourcetype: "_json",
      index: "audit",
      event: first,
    });
    expect(JSON.stringify(double.events[0]?.time)).toBe("1772356361.004");
    const checkpoint = exampleRecords.at(-1);
    if (checkpoint?.kind !== "checkpoint") throw new Error("fixture");
    expect(double.events.at(-1)?.event).toEqual(checkpointJson(checkpoint.checkpoint));
  });

  it("sends CEF lines as string events with sourcetype cef", async () => {
    double = await SplunkHecDouble.start({ token: "t" });
    const transport = testTransport({ type: "splunk-hec", url: double.url, token: "t", format: "cef" });
    expect(await transport.deliver(exampleRecords.slice(0, 2), attemptSignal())).toEqual({
      kind: "delivered",
    });
    expect(double.events[0]?.sourcetype).toBe("cef");
    expect(double.events[0]?.event).toMatch(
      /^CEF:0\|PACKAGE\.broker\|package-broker\|1\.2\.3\|authentication\.token_invalid\|/,
    );
  });

  it("with ack, sends a channel and is delivered only once the ack id is confirmed", async () => {
    double = await SplunkHecDouble.start({ token: "t", ack: true, pendingPolls: 2 });
    const transport = testTransport({
      type: "splunk-hec",
      url: double.url,
      token: "t",
      options: { ack: true, ackPollMs: 5 },
    });

    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });

    const paths = double.server.requests.map((request) => request.path);
    expect(paths).toEqual([
      "/services/collector/event",
      "/services/collector/ack",
      "/services/collector/ack",
      "/services/collector/ack",
    ]);
    const channels = new Set(
      double.server.requests.map((request) => request.headers["x-splunk-request-channel"]),
    );
    expect(channels.size).toBe(1);
    expect(JSON.parse(double.server.requests[1]?.body.toString() ?? "")).toEqual({ acks: [0] });
  });

  it("retries when the ack is not confirmed before the signal aborts", async () => {
    double = await SplunkHecDouble.start({ token: "t", ack: true, pendingPolls: Infinity });
    const transport = testTransport({
      type: "splunk-hec",
      url: double.url,
      token: "t",
      options: { ack: "true", ackPollMs: 5 },
    });
    const result = await transport.deliver(exampleRecords, attemptSignal(150));
    expect(result).toMatchObject({
      kind: "retry",
      error: expect.stringContaining("not confirmed") as unknown,
    });
  });

  it("retries when ack is on but the receiver returns no ack id", async () => {
    double = await SplunkHecDouble.start({ token: "t" });
    const transport = testTransport({
      type: "splunk-hec",
      url: double.url,
      token: "t",
      options: { ack: true },
    });
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toMatchObject({ kind: "retry", error: expect.stringContaining("no ackId") as unknown });
  });

  it("maps HEC errors: invalid token is rejected, server busy is retried with Retry-After", async () => {
    double = await SplunkHecDouble.start({ token: "right" });
    const wrong = testTransport({ type: "splunk-hec", url: double.url, token: "wrong" });
    const rejected = await wrong.deliver(exampleRecords, attemptSignal());
    expect(rejected).toMatchObject({ kind: "rejected" });
    expect(rejected.kind === "rejected" && rejected.error).toContain('"code":4');

    const right = testTransport({ type: "splunk-hec", url: double.url, token: "right" });
    double.server.script({
      status: 503,
      headers: { "retry-after": "7" },
      body: { text: "Server is busy", code: 9 },
    });
    expect(await right.deliver(exampleRecords, attemptSignal())).toMatchObject({
      kind: "retry",
      retryAfterMs: 7000,
    });
  });
});

describe("Splunk HEC double", () => {
  it("answers the documented error codes", async () => {
    double = await SplunkHecDouble.start({ token: "t", ack: true });
    const post = async (path: string, body: string, headers: Record<string, string>) => {
      const response = await fetch(`${double?.url ?? ""}${path}`, { method: "POST", body, headers });
      return { status: response.status, body: await response.json() };
    };
    const auth = {
      authorization: "Splunk t",
      "x-splunk-request-channel": "0b7a4bb4-5d5e-4bd4-9c7e-0d3f6ab8a1f0",
    };
    expect(await post("/services/collector/event", '{"event":"x"}', {})).toEqual({
      status: 401,
      body: { text: "Token is required", code: 2 },
    });
    expect(
      await post("/services/collector/event", '{"event":"x"}', { ...auth, authorization: "Splunk nope" }),
    ).toEqual({
      status: 403,
      body: { text: "Invalid token", code: 4 },
    });
    expect(await post("/services/collector/event", '{"event":"x"}', { authorization: "Splunk t" })).toEqual({
      status: 400,
      body: { text: "Data channel is missing", code: 10 },
    });
    expect(await post("/services/collector/event", "not json", auth)).toEqual({
      status: 400,
      body: { text: "Invalid data format", code: 6 },
    });
    expect(await post("/services/collector/event", '{"time":1,"event":"a"}{"time":1}', auth)).toEqual({
      status: 400,
      body: { text: "Event field is required", code: 12, "invalid-event-number": 1 },
    });
    expect(await post("/services/collector", '{"time":1,"event":"a"}', auth)).toMatchObject({ status: 404 });
  });

  it("splits concatenated JSON objects, braces inside strings included", () => {
    expect(splitConcatenatedJson('{"a":"}{"} \n{"b":{"c":1}}')).toEqual(['{"a":"}{"}', '{"b":{"c":1}}']);
    expect(splitConcatenatedJson('{"a":1} x')).toBeUndefined();
    expect(splitConcatenatedJson('{"a":1')).toBeUndefined();
  });
});
