import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RecordingHttpServer, type RecordedRequest } from "../../../test/doubles/recording-http-server.ts";
import {
  attemptSignal,
  exampleRecords,
  manyRecords,
  testDependencies,
  testTransport,
} from "../../../test/doubles/transport-harness.ts";
import { ManualClock, systemClock } from "../../clock/clock.ts";
import { sinkRecordId } from "./sink-transport.ts";
import { MAX_RECORD_IDS_HEADER, webhookDeliveryId } from "./webhook-transport.ts";
import { webhookSignature } from "./webhook-signature.ts";

const SCRIPT = fileURLToPath(new URL("../../../docs/examples/verify-webhook.mjs", import.meta.url));
const current = { keyId: "key-2026-06", secret: "a-new-secret-of-some-length" };
const previous = { keyId: "key-2026-01", secret: "the-old-secret-still-active" };

/** The documentation's receiver script, run as it is, knowing only the previous secret. */
let receiver: ChildProcess;
let receiverUrl: string;
const receiverLines: string[] = [];

beforeAll(async () => {
  receiver = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, PORT: "0", PB_WEBHOOK_SECRETS: `${previous.keyId}:${previous.secret}` },
    stdio: ["ignore", "pipe", "inherit"],
  });
  receiver.stdout?.setEncoding("utf8");
  receiver.stdout?.on("data", (chunk: string) =>
    receiverLines.push(...chunk.split("\n").filter((line) => line !== "")),
  );
  for (;;) {
    const port = /^listening on (\d+)$/.exec(receiverLines[0] ?? "")?.[1];
    if (port !== undefined) {
      receiverUrl = `http://127.0.0.1:${port}/hooks/audit`;
      break;
    }
    await once(receiver.stdout!, "data");
  }
});

afterAll(async () => {
  receiver.kill();
  if (receiver.exitCode === null) await once(receiver, "exit");
});

let recorder: RecordingHttpServer | undefined;
afterEach(async () => {
  await recorder?.close();
  recorder = undefined;
});

async function capture(records = exampleRecords): Promise<RecordedRequest> {
  await recorder?.close();
  recorder = await RecordingHttpServer.start(() => ({ status: 204 }));
  const transport = testTransport(
    { type: "webhook", url: recorder.url, secrets: [current, previous] },
    testDependencies(new ManualClock(systemClock.now())),
  );
  expect(await transport.deliver(records, attemptSignal())).toEqual({ kind: "delivered" });
  return recorder.requests[0]!;
}

function replay(request: RecordedRequest, body: Buffer = request.body): Promise<Response> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith("pb-") || name === "content-type") headers[name] = String(value);
  }
  return fetch(receiverUrl, { method: "POST", headers, body });
}

describe("webhook transport", () => {
  it("signs a delivery that the documented receiver script verifies (during a key rotation)", async () => {
    const transport = testTransport(
      { type: "webhook", url: receiverUrl, secrets: [current, previous] },
      testDependencies(new ManualClock(systemClock.now())),
    );
    expect(await transport.deliver(exampleRecords, attemptSignal())).toEqual({ kind: "delivered" });
    const deliveryId = webhookDeliveryId(exampleRecords.map(sinkRecordId));
    expect(receiverLines).toContain(
      `verified ${deliveryId} (${exampleRecords.length} records, key ${previous.keyId})`,
    );
  });

  it("sends the documented body and headers", async () => {
    const request = await capture();
    const body = JSON.parse(request.body.toString()) as {
      delivery_id: string;
      records: { kind: string; id: string }[];
    };
    const ids = exampleRecords.map(sinkRecordId);
    expect(body.delivery_id).toBe(webhookDeliveryId(ids));
    expect(body.records.map((record) => [record.kind, record.id])).toEqual(
      exampleRecords.map((r, i) => [r.kind, ids[i]]),
    );
    expect(request.headers["pb-delivery-id"]).toBe(body.delivery_id);
    expect(request.headers["pb-record-ids"]).toBe(ids.join(","));
    expect(request.headers["pb-record-count"]).toBe(String(ids.length));
    expect(request.headers["pb-key-ids"]).toBe(`${current.keyId},${previous.keyId}`);
    const timestamp = Number(request.headers["pb-timestamp"]);
    expect(request.headers["pb-signature"]).toBe(
      webhookSignature([current, previous], timestamp, request.body.toString()),
    );
    expect(String(request.headers["pb-signature"]).split(" ")).toHaveLength(2);
  });

  it("the receiver script accepts the captured delivery and refuses a tampered copy", async () => {
    const request = await capture();
    expect((await replay(request)).status).toBe(204);
    const tampered = Buffer.from(request.body.toString().replace('"seq":1040', '"seq":1039'));
    expect(tampered.equals(request.body)).toBe(false);
    const refused = await replay(request, tampered);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toBe("no valid signature");
  });

  it("is rejected by the receiver when the timestamp is outside its tolerance or the key unknown", async () => {
    const stale = testTransport(
      { type: "webhook", url: receiverUrl, secrets: [previous] },
      testDependencies(new ManualClock("2020-01-01T00:00:00.000Z")),
    );
    expect(await stale.deliver(exampleRecords, attemptSignal())).toMatchObject({
      kind: "rejected",
      error: expect.stringContaining("timestamp") as unknown,
    });
    const unknown = testTransport(
      { type: "webhook", url: receiverUrl, secrets: [current] },
      testDependencies(new ManualClock(systemClock.now())),
    );
    expect(await unknown.deliver(exampleRecords, attemptSignal())).toMatchObject({ kind: "rejected" });
  });

  it("leaves the ids header out when it would be too long, keeping the count", async () => {
    const fits = await capture(manyRecords(100));
    expect(fits.headers["pb-record-ids"]).toBe(manyRecords(100).map(sinkRecordId).join(","));
    const long = await capture(manyRecords(160));
    expect(manyRecords(160).map(sinkRecordId).join(",").length).toBeGreaterThan(MAX_RECORD_IDS_HEADER);
    expect(long.headers["pb-record-ids"]).toBeUndefined();
    expect(long.headers["pb-record-count"]).toBe("160");
  });
});
