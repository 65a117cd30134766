import { afterEach, describe, expect, it } from "vitest";
import { LogstashDouble } from "../../../test/doubles/logstash-double.ts";
import {
  attemptSignal,
  exampleRecords,
  recordEvent,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";

let double: LogstashDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

describe("Logstash transport", () => {
  it("posts one JSON array per batch, one element per record", async () => {
    double = await LogstashDouble.start();
    const transport = testTransport({ type: "logstash", url: `${double.url}/audit` });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });
    expect(double.server.requests).toHaveLength(1);
    expect(double.server.requests[0]?.path).toBe("/audit");
    expect(double.server.requests[0]?.headers["content-type"]).toBe("application/json");
    expect(double.events).toHaveLength(exampleRecords.length);
    expect(double.events[0]).toEqual(recordEvent(exampleRecords[0]));
    expect(double.events.at(-1)).toMatchObject({ record_type: "checkpoint", tree_size: 1045 });
  });

  it("authenticates with the URL's userinfo and is rejected without it", async () => {
    double = await LogstashDouble.start({ user: "shipper", password: "s3cret" });
    const url = new URL(double.url);
    url.username = "shipper";
    url.password = "s3cret";
    expect(
      await testTransport({ type: "logstash", url: url.href }).deliver(exampleRecords, attemptSignal()),
    ).toEqual({
      kind: "delivered",
    });
    expect(
      await testTransport({ type: "logstash", url: double.url }).deliver(exampleRecords, attemptSignal()),
    ).toMatchObject({
      kind: "rejected",
      error: expect.stringContaining("401") as unknown,
    });
  });

  it("sends CEF records as objects with the line in message", async () => {
    double = await LogstashDouble.start();
    const transport = testTransport({ type: "logstash", url: double.url, format: "cef" });
    await transport.deliver(exampleRecords, attemptSignal());
    expect(double.events[0]?.message).toMatch(/^CEF:0\|/);
  });
});
