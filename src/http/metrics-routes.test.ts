import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedReceiver } from "../../test/builders/scripted-sink-transport.ts";
import { TestRuntime } from "../../test/builders/test-runtime.ts";
import { consoleContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";

const METRICS_TOKEN = "scrape-me-0123456789abcdef";

describe("/metrics", () => {
  let t: TestRuntime;
  const receiver = new ScriptedReceiver();

  beforeAll(async () => {
    t = await TestRuntime.start({
      env: { PB_METRICS_TOKEN: METRICS_TOKEN },
      runtimeOptions: { sinkTransportFactory: receiver.factory },
    });
    const trail = auditTrail(t.runtime.audit.log, consoleContext);
    await t.runtime.auditSinks.add(
      { type: "logstash", url: "https://logstash.example.com", name: "soc" },
      trail,
    );
    await t.runtime.auditSinks.add({ type: "loki", url: "https://loki.example.com", name: "ops" }, trail);
    await t.runtime.auditSinks.update(
      (await t.runtime.auditSinks.configured("ops"))?.id ?? "",
      { paused: true },
      trail,
    );
    await t.runtime.sinkDispatcher.deliverDue();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it("gives a scraper with PB_METRICS_TOKEN the sinks' health, the log's size and open alerts", async () => {
    const response = await t.request("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    const size = (await t.runtime.audit.records.state()).size;
    expect(text).toContain(`pb_audit_log_events ${size}`);
    expect(text).toContain('pb_audit_sink_lag_events{sink="soc",type="logstash"} 0');
    expect(text).toMatch(/pb_audit_sink_lag_events\{sink="ops",type="loki"\} [1-9]/);
    expect(text).toContain('pb_audit_sink_paused{sink="ops",type="loki"} 1');
    expect(text).toContain('pb_audit_sink_failures{sink="soc",type="logstash"} 0');
    expect(text).toMatch(/pb_audit_sink_last_success_timestamp_seconds\{sink="soc",type="logstash"\} 1\d{9}/);
    expect(text).toContain("pb_alerts_open 0");
    expect(text).toContain("# HELP pb_audit_sink_lag_seconds");
  });

  it("refuses a scrape without the token, or with another one, and records it", async () => {
    for (const headers of [
      {},
      { authorization: "Bearer wrong-token-0123456789" },
      { authorization: "Bearer" },
    ]) {
      const before = (await t.runtime.audit.records.state()).size;
      const response = await t.request("/metrics", { headers });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { code: string }).code).toBe("MetricsTokenInvalid");
      const event = await t.runtime.audit.records.latestEvent("authentication", "metrics_refused");
      expect(event?.seq).toBeGreaterThan(before);
      expect(event?.outcome).toBe("failure");
    }
    // An admin API token is not a metrics token.
    const admin = await t.createToken({ scopes: ["admin"] });
    expect((await t.request("/metrics", { token: admin.token, scheme: "bearer" })).status).toBe(401);
  });

  it("answers 404 when metrics are off", async () => {
    const off = await TestRuntime.start();
    try {
      const response = await off.request("/metrics", {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe("MetricsDisabled");
    } finally {
      await off.cleanup();
    }
  });
});
