import { afterEach, describe, expect, it } from "vitest";
import { ElasticsearchDouble } from "../../../test/doubles/elasticsearch-double.ts";
import {
  attemptSignal,
  exampleRecords,
  recordEvent,
  testProduct,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";
import { toEcs } from "../export/ecs-document.ts";
import { bulkResult } from "./elasticsearch-transport.ts";
import { sinkRecordId } from "./sink-transport.ts";

let double: ElasticsearchDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

const ids = exampleRecords.map(sinkRecordId);

describe("Elasticsearch transport", () => {
  it("sends NDJSON create actions with the record id and the ECS document, with an API key", async () => {
    double = await ElasticsearchDouble.start({ apiKey: "key==" });
    const transport = testTransport({
      type: "elasticsearch",
      url: double.url,
      token: "key==",
      format: "ecs",
    });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });

    const [request] = double.server.requests;
    expect(request?.path).toBe("/_bulk");
    expect(request?.headers["content-type"]).toBe("application/x-ndjson");
    expect(request?.headers.authorization).toBe("ApiKey key==");
    const lines = request?.body.toString().split("\n") ?? [];
    expect(lines.at(-1)).toBe("");
    expect(JSON.parse(lines[0] ?? "")).toEqual({ create: { _index: "package-broker-audit", _id: ids[0] } });
    expect(double.documents.get(`package-broker-audit/${ids[0]}`)).toEqual(
      toEcs(recordEvent(exampleRecords[0]), testProduct),
    );
    expect(double.documents.get("package-broker-audit/checkpoint-1045")).toMatchObject({
      event: { action: "audit.checkpoint", kind: "state" },
    });
  });

  it("treats a replay as delivered (409 version conflicts: already there)", async () => {
    double = await ElasticsearchDouble.start();
    const transport = testTransport({
      type: "elasticsearch",
      url: double.url,
      options: { index: "audit-1" },
    });
    await transport.deliver(exampleRecords, attemptSignal());
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });
    expect(double.documents.size).toBe(exampleRecords.length);
  });

  it("retries just the 429/5xx items, and the refused ones with them", async () => {
    double = await ElasticsearchDouble.start();
    const transport = testTransport({ type: "elasticsearch", url: double.url });
    double.failItemOnce(ids[1]!, 429, "es_rejected_execution_exception");
    double.failItemOnce(ids[3]!, 503, "unavailable_shards_exception");
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toMatchObject({ kind: "retry", remaining: [ids[1], ids[3]] });
    expect(result.kind === "retry" && result.error).toContain("es_rejected_execution_exception");
  });

  it("rejects the 400-class items by id and holds the rest", async () => {
    double = await ElasticsearchDouble.start();
    const transport = testTransport({ type: "elasticsearch", url: double.url });
    double.failItemOnce(ids[2]!, 400, "mapper_parsing_exception");
    const result = await transport.deliver(exampleRecords, attemptSignal());
    expect(result).toMatchObject({ kind: "rejected", rejected: [{ id: ids[2] }] });
    expect(double.documents.size).toBe(exampleRecords.length - 1);
  });

  it("uses Basic authentication from the URL's userinfo, never putting it in the request URL", async () => {
    double = await ElasticsearchDouble.start({ basic: { user: "elastic", password: "p@ss:word" } });
    const url = new URL(double.url);
    url.username = "elastic";
    url.password = encodeURIComponent("p@ss:word");
    const transport = testTransport({ type: "elasticsearch", url: url.href });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });
    const anonymous = testTransport({ type: "elasticsearch", url: double.url });
    expect(await anonymous.deliver(exampleRecords, attemptSignal())).toMatchObject({ kind: "rejected" });
  });

  it("retries a 2xx answer that is not a _bulk response", async () => {
    double = await ElasticsearchDouble.start();
    const transport = testTransport({ type: "elasticsearch", url: double.url });
    double.server.script(
      { status: 200, body: "<html>proxy</html>" },
      { status: 200, body: { errors: false, items: [] } },
    );
    expect(await transport.deliver(exampleRecords, attemptSignal())).toMatchObject({ kind: "retry" });
    expect(await transport.deliver(exampleRecords, attemptSignal())).toMatchObject({ kind: "retry" });
    expect(bulkResult(["a"], { errors: true, items: [{ create: { status: 201 } }] })).toEqual({
      kind: "delivered",
    });
  });

  it("puts a CEF line in message beside @timestamp", async () => {
    double = await ElasticsearchDouble.start();
    const transport = testTransport({ type: "elasticsearch", url: double.url, format: "cef" });
    await transport.deliver(exampleRecords.slice(0, 1), attemptSignal());
    expect(double.documents.get(`package-broker-audit/${ids[0]}`)).toMatchObject({
      "@timestamp": recordEvent(exampleRecords[0]).timestamp,
      message: expect.stringMatching(/^CEF:0\|/) as unknown,
    });
  });

  it("the double refuses a body without the final newline", async () => {
    double = await ElasticsearchDouble.start();
    const response = await fetch(`${double.url}/_bulk`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: '{"create":{"_index":"a","_id":"1"}}\n{}',
    });
    expect(response.status).toBe(400);
  });
});
