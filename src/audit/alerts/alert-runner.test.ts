import { createHmac } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TestRuntime } from "../../../test/builders/test-runtime.ts";
import { headerValue, RecordingHttpServer } from "../../../test/doubles/recording-http-server.ts";
import { SmtpTestServer } from "../../../test/support/smtp-test-server.ts";
import type { AuditContext, AuditEvent } from "../audit-event.ts";
import { rowToEvent } from "../audit-row.ts";
import { auditTrail } from "../audit-trail.ts";
import type { AlertNotice } from "./alert-notice.ts";

const WEBHOOK_SECRET = "alert-signing-secret-0123456789";
const MINUTE = 60_000;

let webhook: RecordingHttpServer;
let slack: RecordingHttpServer;
let smtp: SmtpTestServer;
let t: TestRuntime;

beforeAll(async () => {
  webhook = await RecordingHttpServer.start(() => ({ status: 204 }));
  slack = await RecordingHttpServer.start(() => ({ status: 200, body: "ok" }));
  smtp = await SmtpTestServer.start();
});

afterAll(async () => {
  await webhook.close();
  await slack.close();
  await smtp.stop();
});

beforeEach(async () => {
  webhook.requests.length = 0;
  slack.requests.length = 0;
  smtp.messages.length = 0;
  t = await TestRuntime.start({
    fileDatabase: true,
    env: {
      PB_ALERT_WEBHOOK_URL: `${webhook.url}/alerts`,
      PB_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PB_ALERT_SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/X`,
      PB_ALERT_EMAIL_TO: "soc@example.org, oncall@example.org",
      PB_SMTP_URL: smtp.url(),
      PB_SMTP_FROM: "PACKAGE.broker <broker@example.org>",
    },
  });
});

afterEach(async () => {
  await t.cleanup();
});

/**
 * The first round: a new installation's checkpoint key is itself an audit-system change, whose
 * alert is taken out of the way (and its notifications forgotten) before each test's own.
 */
async function firstRound(): Promise<void> {
  const raised = await t.runtime.alertRunner.run();
  expect(raised.map((alert) => alert.rule_name)).toEqual(["pb_audit_system_changed"]);
  webhook.requests.length = 0;
  slack.requests.length = 0;
  smtp.messages.length = 0;
}

async function failSignIns(email: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await t.request("/api/session", {
      method: "POST",
      body: { email, password: `wrong password ${i}` },
    });
    expect(response.status).toBe(401);
    t.clock.advance(20_000);
  }
}

async function latestEvent(event: string, action: string): Promise<AuditEvent> {
  const row = await t.runtime.audit.records.latestEvent(event, action);
  if (row === null) throw new Error(`no ${event}/${action}`);
  return rowToEvent(row);
}

describe("AlertRunner", () => {
  it("raises a brute force as an alert event with its evidence, and notifies every channel", async () => {
    const person = await t.signInAs("maintainer", "victim@example.org");
    await firstRound();
    await failSignIns("victim@example.org", 10);
    const raised = await t.runtime.alertRunner.run();

    expect(raised.map((alert) => alert.rule_name)).toEqual(["pb_brute_force"]);
    const alert = await t.runtime.alerts.get(raised[0]?.id ?? "");
    expect(alert).toMatchObject({
      level: "high",
      status: "open",
      group: { "target.id": person.userId },
      count: 10,
    });
    const failures = await t.runtime.audit.records.range(1, 1000);
    const failedIds = failures.filter((row) => row.action === "login_failed").map((row) => row.id);
    expect(alert.evidence.map((ref) => ref.id)).toEqual(failedIds);

    const event = await latestEvent("alert", "raised");
    expect(event).toMatchObject({
      severity: "error",
      actor: { type: "system" },
      target: { type: "alert", id: alert.id },
    });
    expect(event.details).toMatchObject({ rule_name: "pb_brute_force", evidence_ids: failedIds, count: 10 });

    // The webhook, signed like the webhook sink.
    const [request] = webhook.requests;
    if (request === undefined) throw new Error("the webhook got nothing");
    const timestamp = headerValue(request, "pb-timestamp") ?? "";
    const mac = createHmac("sha256", WEBHOOK_SECRET)
      .update(`${timestamp}.${request.body.toString()}`)
      .digest("base64");
    expect(headerValue(request, "pb-signature")).toBe(`v1,alerts,${mac}`);
    const body = JSON.parse(request.body.toString()) as { type: string; alert: AlertNotice };
    expect(body).toMatchObject({ type: "alert", alert: { id: alert.id, ruleName: "pb_brute_force" } });
    // Slack, and e-mail to both addresses.
    expect(JSON.parse(slack.requests[0]?.body.toString() ?? "{}")).toMatchObject({
      text: expect.stringContaining("[high] Brute force against one account") as unknown,
    });
    expect(smtp.messages.map((mail) => mail.to).sort()).toEqual(["oncall@example.org", "soc@example.org"]);
    expect(alert.notifications.map((n) => [n.channel, n.status])).toEqual([
      ["webhook", "sent"],
      ["slack", "sent"],
      ["email", "sent"],
    ]);
  });

  it("does not raise the same alert twice across a restart, and keeps counting after it", async () => {
    await t.signInAs("maintainer", "victim@example.org");
    await firstRound();
    await failSignIns("victim@example.org", 6);
    expect(await t.runtime.alertRunner.run()).toEqual([]);

    // A new runtime on the same database: the windows are rebuilt from the log.
    await t.runtime.close();
    const { openRuntime } = await import("../../runtime.ts");
    const second = await openRuntime(t.config, t.logger, t.clock);
    try {
      const trail = auditTrail(second.audit.log, {
        actor: { type: "anonymous", id: "anonymous", auth_method: "none" },
        ipAddress: "203.0.113.9",
        userAgent: null,
        requestId: null,
      });
      const first = await second.audit.records.latestEvent("authentication", "login_failed");
      const target = rowToEvent(first ?? never()).target;
      for (let i = 0; i < 4; i += 1) {
        await trail.record({ event: "authentication", action: "login_failed", outcome: "failure", target });
      }
      const raised = await second.alertRunner.run();
      expect(raised.map((alert) => alert.rule_name)).toEqual(["pb_brute_force"]);
      expect(await second.alertRunner.run()).toEqual([]);
      const alerts = (await second.alerts.list({})).alerts.map((alert) => alert.ruleName);
      expect(alerts.filter((name) => name === "pb_brute_force")).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it("suspends a token used from more than five addresses within an hour", async () => {
    const token = await t.createToken({ scopes: ["read"], description: "leaked" });
    await firstRound();
    for (let i = 1; i <= 6; i += 1) {
      const context: AuditContext = {
        actor: { type: "token", id: token.fingerprint, auth_method: "basic" },
        ipAddress: `198.51.100.${i}`,
        userAgent: "Composer/2.5.5",
        requestId: null,
      };
      await auditTrail(t.runtime.audit.log, context).record({
        event: "package_access",
        action: "metadata",
        outcome: "success",
        target: { type: "package", name: "acme/lib" },
      });
      t.clock.advance(5 * MINUTE);
    }
    const [alert] = await t.runtime.alertRunner.run();
    expect(alert?.rule_name).toBe("pb_token_many_addresses");
    expect(JSON.parse(alert?.response ?? "null")).toEqual({
      action: "suspend-token",
      subject: token.fingerprint,
      outcome: "done",
      error: null,
    });
    expect((await t.runtime.tokens.get(token.id)).revokedAt).not.toBeNull();
    expect((await latestEvent("token", "revoked")).actor.type).toBe("system");
  });

  it("retries a channel that fails, and gives up only after its attempts", async () => {
    await t.signInAs("maintainer", "victim@example.org");
    await firstRound();
    webhook.script({ status: 503, body: "busy" });
    await failSignIns("victim@example.org", 10);
    const [raised] = await t.runtime.alertRunner.run();
    const pending = await t.runtime.alerts.get(raised?.id ?? "");
    expect(pending.notifications[0]).toMatchObject({ channel: "webhook", status: "pending", attempts: 1 });
    expect(pending.notifications[0]?.error).toContain("HTTP 503");
    t.clock.advance(10 * MINUTE);
    await t.runtime.alertRunner.run();
    const sent = await t.runtime.alerts.get(raised?.id ?? "");
    expect(sent.notifications[0]).toMatchObject({ status: "sent", attempts: 2, error: null });
  });

  it("acknowledges an alert over the API once, recording who", async () => {
    const admin = await t.signInAs("admin");
    await t.signInAs("maintainer", "victim@example.org");
    await firstRound();
    await failSignIns("victim@example.org", 10);
    const [raised] = await t.runtime.alertRunner.run();
    const id = raised?.id ?? "";
    const listed = await t.request("/api/alerts?status=open&limit=1", { headers: admin.headers });
    const page = (await listed.json()) as { alerts: AlertNotice[]; nextCursor: string };
    expect(page.alerts.map((a) => a.id)).toEqual([id]);
    const next = await t.request(`/api/alerts?status=open&cursor=${encodeURIComponent(page.nextCursor)}`, {
      headers: admin.headers,
    });
    const rest = (await next.json()) as { alerts: AlertNotice[]; nextCursor: string | null };
    expect(rest.alerts.map((a) => a.ruleName)).toEqual(["pb_audit_system_changed"]);
    expect(rest.nextCursor).toBeNull();
    const ack = await t.request(`/api/alerts/${id}/acknowledge`, {
      method: "POST",
      headers: admin.headers,
      body: { note: "password reset with the person" },
    });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ status: "acknowledged", acknowledgedBy: admin.userId });
    expect((await latestEvent("alert", "acknowledged")).details).toMatchObject({
      note: "password reset with the person",
    });
    const again = await t.request(`/api/alerts/${id}/acknowledge`, {
      method: "POST",
      headers: admin.headers,
      body: {},
    });
    expect(again.status).toBe(409);
    const bad = await t.request("/api/alerts?limit=9999", { headers: admin.headers });
    expect(bad.status).toBe(400);
    const cursor = await t.request("/api/alerts?cursor=nonsense", { headers: admin.headers });
    expect(cursor.status).toBe(400);
    const rules = await t.request("/api/alerts/rules", { headers: admin.headers });
    expect(((await rules.json()) as { sigma: string }).sigma).toContain("correlation:");
  });
});

function never(): never {
  throw new Error("missing");
}
