import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedReceiver } from "../../../test/builders/scripted-sink-transport.ts";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import type { AuditEvent } from "../../audit/audit-event.ts";
import { rowToEvent } from "../../audit/audit-row.ts";
import type { SinkView } from "../../audit/sinks/sink-view.ts";

const SPLUNK_TOKEN = "0f2e5a9c-7d1b-4e8a-9c3f-splunk-secret";
const WEBHOOK_SECRET = "whsec-a-long-enough-signing-secret";

describe("/api/audit/sinks", () => {
  let t: TestRuntime;
  let admin: TestToken;
  const receiver = new ScriptedReceiver();

  beforeAll(async () => {
    t = await TestRuntime.start({ runtimeOptions: { sinkTransportFactory: receiver.factory } });
    admin = await t.createToken({ scopes: ["admin"], description: "admin" });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const send = (path: string, init: { method?: string; body?: object } = {}) =>
    t.request(`/api/audit/sinks${path}`, { token: admin.token, ...init });

  async function latest(action: string): Promise<AuditEvent> {
    const row = await t.runtime.audit.records.latestEvent("audit", action);
    if (row === null) throw new Error(`no audit/${action}`);
    return rowToEvent(row);
  }

  async function add(body: object): Promise<SinkView> {
    const response = await send("", { method: "POST", body });
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as SinkView;
  }

  it("adds a sink whose credentials are sealed, never shown and never recorded", async () => {
    const sink = await add({
      type: "splunk-hec",
      url: "https://indexer:hunter2@splunk.example.com:8088",
      token: SPLUNK_TOKEN,
      options: { index: "audit", ack: true },
    });
    expect(sink).toMatchObject({
      name: "splunk-hec-splunk.example.com",
      type: "splunk-hec",
      url: "https://splunk.example.com:8088/",
      format: "json",
      options: { index: "audit", ack: true },
      credentials: { token: true, userinfo: true, signingKeys: [] },
      paused: false,
      cursor: 0,
    });
    expect(sink.id).toMatch(/^snk_[0-9A-Z]{26}$/);
    const stored = await t.runtime.database.db
      .selectFrom("audit_sinks")
      .selectAll()
      .where("id", "=", sink.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(SPLUNK_TOKEN);
    expect(JSON.stringify(stored)).not.toContain("hunter2");
    // The transport gets them back.
    await t.runtime.sinkDispatcher.deliverDue();
    expect(receiver.configs.at(-1)).toMatchObject({
      url: "https://indexer:hunter2@splunk.example.com:8088/",
      token: SPLUNK_TOKEN,
    });
    const created = await latest("sink_created");
    expect(created.outcome).toBe("success");
    expect(created.target).toEqual({ type: "audit_sink", id: sink.id, name: sink.name });
    expect(created.details).toMatchObject({
      type: "splunk-hec",
      token: "set",
      userinfo: "set",
      from: "start",
    });
    expect(JSON.stringify(created)).not.toContain(SPLUNK_TOKEN);
    expect(JSON.stringify(created)).not.toContain("hunter2");
  });

  it("refuses a sink without the credential its type needs, a taken name, and bad input, recording each", async () => {
    const cases: [object, number, string][] = [
      [{ type: "splunk-hec", url: "https://splunk.example.com" }, 400, "SinkTokenRequired"],
      [{ type: "webhook", url: "https://hooks.example.com" }, 400, "SinkSecretMismatch"],
      [{ type: "webhook", url: "https://hooks.example.com", secret: "short" }, 400, "InvalidRequest"],
      [{ type: "loki", url: "https://loki.example.com", secret: WEBHOOK_SECRET }, 400, "SinkSecretMismatch"],
      [{ type: "kafka", url: "https://kafka.example.com" }, 400, "InvalidRequest"],
      [{ type: "loki" }, 400, "SinkUrlRequired"],
      [
        { type: "loki", url: "https://loki.example.com", options: { a: { nested: 1 } } },
        400,
        "InvalidRequest",
      ],
      [{ type: "loki", url: "https://loki.example.com", name: "bad\nname" }, 400, "InvalidRequest"],
      [
        { type: "loki", url: "https://loki.example.com", name: "splunk-hec-splunk.example.com" },
        409,
        "SinkNameTaken",
      ],
    ];
    for (const [body, status, code] of cases) {
      const before = (await t.runtime.audit.records.state()).size;
      const response = await send("", { method: "POST", body });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(((await response.json()) as { code: string }).code).toBe(code);
      const refused = await latest("sink_created");
      expect(refused.seq).toBeGreaterThan(before);
      expect(refused.outcome).toBe("failure");
      expect(refused.details).toMatchObject({ code });
    }
    expect((await t.runtime.auditSinks.list()).map((sink) => sink.type)).toEqual(["splunk-hec"]);
  });

  it("sends Datadog sinks without a URL to their site's intake", async () => {
    const datadog = await add({ type: "datadog", token: "dd-api-key", options: { site: "datadoghq.eu" } });
    expect(datadog).toMatchObject({
      name: "datadog-http-intake.logs.datadoghq.eu",
      url: "https://http-intake.logs.datadoghq.eu/",
    });
    const removed = await send(`/${datadog.id}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
  });

  it("lists sinks with their lag, shows one, and answers 404 for an unknown id", async () => {
    const response = await send("");
    expect(response.status).toBe(200);
    const { sinks } = (await response.json()) as { sinks: SinkView[] };
    expect(sinks).toHaveLength(1);
    const size = (await t.runtime.audit.records.state()).size;
    expect(sinks[0]?.lag.events).toBe(size - (sinks[0]?.cursor ?? 0));
    expect(sinks[0]?.lag.events).toBeGreaterThan(0);
    const unknown = await send("/snk_NOPE");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe("SinkNotFound");
  });

  it("pauses and resumes, changes settings with before and after, and replaces the credential unseen", async () => {
    const [sink] = await t.runtime.auditSinks.list();
    if (sink === undefined) throw new Error("no sink");
    const paused = await send(`/${sink.id}`, { method: "PATCH", body: { paused: true } });
    expect(((await paused.json()) as SinkView).paused).toBe(true);
    expect((await latest("sink_paused")).severity).toBe("warning");
    await send(`/${sink.id}`, { method: "PATCH", body: { paused: false } });
    expect((await latest("sink_resumed")).target?.id).toBe(sink.id);

    const changed = await send(`/${sink.id}`, {
      method: "PATCH",
      body: { options: { index: "security" }, token: "a-new-token" },
    });
    expect(changed.status).toBe(200);
    const updated = await latest("sink_updated");
    expect(updated.details).toEqual({
      before: { options: { index: "audit", ack: true } },
      after: { options: { index: "security" } },
      credentials: "replaced",
    });
    expect(JSON.stringify(updated)).not.toContain("a-new-token");
    const empty = await send(`/${sink.id}`, { method: "PATCH", body: {} });
    expect(empty.status).toBe(400);
  });

  it("rotates a webhook's signing secret with an overlap, and refuses it for other types", async () => {
    const webhook = await add({
      type: "webhook",
      url: "https://hooks.example.com/audit",
      secret: WEBHOOK_SECRET,
    });
    expect(webhook.credentials.signingKeys).toHaveLength(1);
    const response = await send(`/${webhook.id}/rotate-secret`, {
      method: "POST",
      body: { secret: "whsec-the-next-signing-secret", overlapHours: 2 },
    });
    expect(response.status).toBe(200);
    const keys = ((await response.json()) as SinkView).credentials.signingKeys;
    expect(keys).toHaveLength(2);
    expect(keys[0]?.retiresAt).toBeNull();
    expect(keys[1]?.retiresAt).toBe(new Date(t.clock.now().getTime() + 2 * 3600_000).toISOString());
    const rotated = await latest("sink_secret_rotated");
    expect(rotated.details).toMatchObject({ key_id: keys[0]?.keyId, previous_key_ids: [keys[1]?.keyId] });

    const [splunk] = await t.runtime.auditSinks.list();
    const refused = await send(`/${splunk?.id ?? ""}/rotate-secret`, {
      method: "POST",
      body: { secret: "whsec-the-next-signing-secret" },
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code: string }).code).toBe("SinkNotSigned");
  });

  it("tests a sink with one synthetic event and reports the receiver's answer", async () => {
    const [sink] = await t.runtime.auditSinks.list();
    const attempts = receiver.attempts.length;
    const ok = await send(`/${sink?.id ?? ""}/test`, { method: "POST" });
    expect(await ok.json()).toMatchObject({ delivered: true, error: null });
    const sent = receiver.attempts[attempts]?.[0];
    expect(sent?.kind === "event" && sent.event).toMatchObject({
      seq: 0,
      action: "sink_test",
      details: { test: true },
    });

    receiver.answer = () => ({ kind: "rejected", error: "403 Invalid token" });
    const failed = await send(`/${sink?.id ?? ""}/test`, { method: "POST" });
    expect(await failed.json()).toMatchObject({ delivered: false, error: "403 Invalid token" });
    const tested = await latest("sink_tested");
    expect(tested.outcome).toBe("failure");
    receiver.answer = () => ({ kind: "delivered" });
  });

  it("lets an auditor look but not change, and removes a sink with its parked records", async () => {
    const session = await t.signInAs("auditor");
    const list = await t.request("/api/audit/sinks", { headers: session.headers });
    expect(list.status).toBe(200);
    const refused = await t.request("/api/audit/sinks", {
      method: "POST",
      headers: session.headers,
      body: { type: "loki", url: "https://loki.example.com" },
    });
    expect(refused.status).toBe(403);

    const [sink] = await t.runtime.auditSinks.list();
    const id = sink?.id ?? "";
    expect((await send(`/${id}/parked`)).status).toBe(200);
    const removed = await send(`/${id}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    expect((await latest("sink_removed")).details).toMatchObject({ type: "splunk-hec" });
    expect((await send(`/${id}`, { method: "DELETE" })).status).toBe(404);
    expect((await send(`/${id}/parked`)).status).toBe(404);
  });
});
