import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { DatadogDouble } from "../../../test/doubles/datadog-double.ts";
import {
  attemptSignal,
  exampleRecords,
  manyRecords,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";
import { DATADOG_LIMITS, datadogIntakeUrl } from "./datadog-transport.ts";
import { sinkRecordId } from "./sink-transport.ts";

let double: DatadogDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

async function started(): Promise<DatadogDouble> {
  double = await DatadogDouble.start("dd-key");
  return double;
}

describe("Datadog transport", () => {
  it("posts a gzip JSON array of log entries with DD-API-KEY", async () => {
    const dd = await started();
    const transport = testTransport({
      type: "datadog",
      url: dd.url,
      token: "dd-key",
      options: { tags: "env:prod,team:security", service: "broker" },
    });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });

    const [request] = dd.server.requests;
    expect(request?.path).toBe("/api/v2/logs");
    expect(request?.headers["dd-api-key"]).toBe("dd-key");
    expect(request?.headers["content-encoding"]).toBe("gzip");
    expect(Array.isArray(JSON.parse(gunzipSync(request?.body ?? Buffer.alloc(0)).toString()))).toBe(true);
    expect(dd.entries).toHaveLength(exampleRecords.length);
    const [first] = dd.entries;
    expect(first).toMatchObject({
      ddsource: "package-broker",
      ddtags: "env:prod,team:security,category:authentication",
      hostname: "broker-1",
      service: "broker",
      status: "info",
      evt: { id: sinkRecordId(exampleRecords[0]!), name: "authentication.token_invalid" },
    });
    expect(JSON.parse(first?.message ?? "")).toEqual(
      exampleRecords[0]?.kind === "event" && exampleRecords[0].event,
    );
  });

  it("splits a batch into requests of at most 1,000 entries", async () => {
    const dd = await started();
    const transport = testTransport({ type: "datadog", url: dd.url, token: "dd-key" });
    expect(transport.maxBatch).toBe(1000);
    const records = manyRecords(2500);
    expect(await transport.deliver(records, attemptSignal(20_000))).toEqual({ kind: "delivered" });
    expect(dd.accepted.map((request) => request.count)).toEqual([1000, 1000, 500]);
    expect(dd.entries).toHaveLength(2500);
  });

  it("splits a batch so that no request is over 5 MB uncompressed", async () => {
    const dd = await started();
    const transport = testTransport({ type: "datadog", url: dd.url, token: "dd-key" });
    // The limit is on the uncompressed size, however well the body compresses.
    const records = manyRecords(12, { blob: "x".repeat(900_000) });
    expect(await transport.deliver(records, attemptSignal(20_000))).toEqual({ kind: "delivered" });
    expect(dd.accepted.length).toBeGreaterThan(2);
    for (const request of dd.accepted)
      expect(request.bytes).toBeLessThanOrEqual(DATADOG_LIMITS.bytesPerRequest);
    expect(dd.entries).toHaveLength(12);
  });

  it("refuses an entry over 1 MB without sending it, and delivers the others", async () => {
    const dd = await started();
    const transport = testTransport({ type: "datadog", url: dd.url, token: "dd-key" });
    const [small, huge] = [manyRecords(3), manyRecords(2, { blob: "y".repeat(1_100_000) })[1]!];
    const result = await transport.deliver([small[0]!, huge, small[2]!], attemptSignal());
    expect(result).toMatchObject({ kind: "rejected", rejected: [{ id: sinkRecordId(huge) }] });
    expect(result.kind === "rejected" && result.rejected?.[0]?.error).toMatch(
      /larger than Datadog's 1048576 bytes/,
    );
    expect(dd.entries).toHaveLength(2);
  });

  it("retries what was not sent when a later request fails", async () => {
    const dd = await started();
    const transport = testTransport({ type: "datadog", url: dd.url, token: "dd-key" });
    const records = manyRecords(2100);
    dd.server.script({ status: 202, body: {} }, { status: 503, headers: { "retry-after": "3" }, body: {} });
    const result = await transport.deliver(records, attemptSignal(20_000));
    expect(result).toMatchObject({ kind: "retry", retryAfterMs: 3000 });
    expect(result.kind === "retry" && result.remaining).toEqual(records.slice(1000).map(sinkRecordId));
  });

  it("is rejected with a wrong API key, and the double refuses oversized payloads with 413", async () => {
    const dd = await started();
    const wrong = testTransport({ type: "datadog", url: dd.url, token: "other" });
    expect(await wrong.deliver(exampleRecords, attemptSignal())).toMatchObject({ kind: "rejected" });

    const post = (body: string) =>
      fetch(`${dd.url}/api/v2/logs`, {
        method: "POST",
        headers: { "dd-api-key": "dd-key", "content-type": "application/json" },
        body,
      });
    expect((await post(JSON.stringify(Array.from({ length: 1001 }, () => ({ message: "m" }))))).status).toBe(
      413,
    );
    expect((await post(JSON.stringify([{ message: "z".repeat(1_100_000) }]))).status).toBe(413);
    expect((await post("[{")).status).toBe(400);
  });

  it("derives the intake URL from the site unless a URL is configured", () => {
    expect(datadogIntakeUrl("", "datadoghq.eu")).toBe("https://http-intake.logs.datadoghq.eu/api/v2/logs");
    expect(datadogIntakeUrl("http://127.0.0.1:9/", "datadoghq.com")).toBe("http://127.0.0.1:9/api/v2/logs");
  });
});
