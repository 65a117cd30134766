import { afterEach, describe, expect, it } from "vitest";
import { OtlpDouble } from "../../../test/doubles/otlp-double.ts";
import {
  attemptSignal,
  exampleRecords,
  recordEvent,
  testDependencies,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";
import { ManualClock } from "../../clock/clock.ts";
import { partialSuccessResult } from "./otlp-transport.ts";

let double: OtlpDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

describe("OTLP/HTTP logs transport", () => {
  it("exports one log record per sink record with severity, body and attributes", async () => {
    double = await OtlpDouble.start();
    const clock = new ManualClock("2026-03-01T10:00:00.000Z");
    const transport = testTransport(
      { type: "otlp", url: double.url, token: "otel" },
      testDependencies(clock),
    );
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });

    const [request] = double.server.requests;
    expect(request?.path).toBe("/v1/logs");
    expect(request?.headers.authorization).toBe("Bearer otel");
    expect(double.records).toHaveLength(exampleRecords.length);
    const first = recordEvent(exampleRecords[0]);
    expect(double.records[0]).toEqual({
      resource: { "service.name": "package-broker", "service.version": "1.2.3", "host.name": "broker-1" },
      scope: { name: "package-broker.audit", version: "1.2.3" },
      record: {
        timeUnixNano: `${Date.parse(first.timestamp)}000000`,
        observedTimeUnixNano: `${clock.now().getTime()}000000`,
        severityNumber: 9,
        severityText: "INFO",
        body: { stringValue: JSON.stringify(first) },
        attributes: {
          "log.record.uid": first.id,
          "event.name": "package_broker.authentication.token_invalid",
          "package_broker.category": "authentication",
          "package_broker.action": "token_invalid",
          "package_broker.seq": String(first.seq),
          "package_broker.outcome": "failure",
          "user.id": first.user,
        },
      },
    });
    expect(double.records[1]?.record.severityText).toBe("WARN");
  });

  it("reports a partial success as rejected, with the receiver's message", async () => {
    double = await OtlpDouble.start();
    const transport = testTransport({ type: "otlp", url: `${double.url}/` });
    double.rejectNext(2, "body too large");
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toEqual({
      kind: "rejected",
      error: "OTLP receiver rejected 2 log record(s): body too large",
    });
  });

  it("retries 429 and 503 with Retry-After (seconds or an HTTP date, read on the injected clock)", async () => {
    double = await OtlpDouble.start();
    const clock = new ManualClock("2026-03-01T10:00:00.000Z");
    const transport = testTransport({ type: "otlp", url: double.url }, testDependencies(clock));
    double.server.script(
      { status: 429, headers: { "retry-after": "30" } },
      { status: 503, headers: { "retry-after": "Sun, 01 Mar 2026 10:01:00 GMT" } },
    );
    expect(await transport.deliver(exampleRecords, attemptSignal())).toMatchObject({
      kind: "retry",
      retryAfterMs: 30_000,
    });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toMatchObject({
      kind: "retry",
      retryAfterMs: 60_000,
    });
  });

  it("counts a 2xx with an unreadable body as delivered (the status decides in OTLP)", () => {
    expect(partialSuccessResult(undefined)).toEqual({ kind: "delivered" });
    expect(partialSuccessResult({ partialSuccess: {} })).toEqual({ kind: "delivered" });
    expect(
      partialSuccessResult({ partialSuccess: { rejectedLogRecords: "0", errorMessage: "warn" } }),
    ).toEqual({
      kind: "delivered",
    });
  });

  it("the double refuses a request that breaks the OTLP JSON encoding", async () => {
    double = await OtlpDouble.start();
    const post = (body: unknown) =>
      fetch(`${double?.url ?? ""}/v1/logs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const record = { timeUnixNano: 1, severityNumber: 9, severityText: "INFO", body: { stringValue: "x" } };
    const response = await post({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });
    expect(response.status).toBe(400);
  });
});
