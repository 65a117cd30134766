import { afterEach, describe, expect, it } from "vitest";
import { LokiDouble } from "../../../test/doubles/loki-double.ts";
import {
  attemptSignal,
  exampleRecords,
  manyRecords,
  recordEvent,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";
import type { SinkRecord } from "./sink-transport.ts";

let double: LokiDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

const LABELS = ["service_name", "category", "action", "severity"];

describe("Loki transport", () => {
  it("pushes streams labelled only by service, category, action and severity, with the tenant", async () => {
    double = await LokiDouble.start({ tenant: "team-a", labels: LABELS });
    const transport = testTransport({ type: "loki", url: double.url, options: { tenant: "team-a" } });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });

    expect(double.server.requests[0]?.headers["x-scope-orgid"]).toBe("team-a");
    const first = recordEvent(exampleRecords[0]);
    const stream = double.streams.find((candidate) => candidate.stream.action === first.action);
    expect(stream?.stream).toEqual({
      service_name: "package-broker",
      category: "authentication",
      action: "token_invalid",
      severity: "info",
    });
    expect(stream?.values).toEqual([[`${Date.parse(first.timestamp)}000000`, JSON.stringify(first)]]);
    const lines = double.streams.flatMap((candidate) => candidate.values.map(([, line]) => line));
    expect(lines).toHaveLength(exampleRecords.length);
  });

  it("orders each stream's entries by timestamp even when records arrive out of time order", async () => {
    double = await LokiDouble.start({ labels: LABELS });
    const transport = testTransport({ type: "loki", url: double.url });
    const records: SinkRecord[] = manyRecords(5).map((record, index) => {
      const event = recordEvent(record);
      return {
        kind: "event",
        event: { ...event, timestamp: new Date(Date.parse(event.timestamp) - index * 1000).toISOString() },
      };
    });
    expect(await transport.deliver(records, attemptSignal())).toEqual({ kind: "delivered" });
    const [stream] = double.streams;
    const times = stream?.values.map(([time]) => BigInt(time)) ?? [];
    expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : 1)));
    expect(times).toHaveLength(5);
  });

  it("the double answers 400 for out-of-order entries and for bad JSON", async () => {
    double = await LokiDouble.start();
    const post = (body: string) =>
      fetch(`${double?.url ?? ""}/loki/api/v1/push`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const outOfOrder = {
      streams: [
        {
          stream: { a: "b" },
          values: [
            ["2000", "x"],
            ["1000", "y"],
          ],
        },
      ],
    };
    const response = await post(JSON.stringify(outOfOrder));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("out of order");
    expect((await post("{nope")).status).toBe(400);
  });

  it("is rejected on 400 and retried on 429 with Retry-After", async () => {
    double = await LokiDouble.start();
    const transport = testTransport({ type: "loki", url: double.url });
    double.server.script(
      { status: 400, body: "entry too far behind" },
      { status: 429, headers: { "retry-after": "2" }, body: "Ingestion rate limit exceeded" },
    );
    expect(await transport.deliver(exampleRecords, attemptSignal())).toMatchObject({
      kind: "rejected",
      error: expect.stringContaining("too far behind") as unknown,
    });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toMatchObject({
      kind: "retry",
      retryAfterMs: 2000,
    });
  });
});
