import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../audit-event.ts";
import { AlertEvaluator, type AlertEvaluatorOptions } from "./alert-evaluator.ts";
import { defaultAlertRulesYaml } from "./default-alert-rules.ts";
import type { FiredAlert } from "./fired-alert.ts";
import { parseAlertRules } from "./parse-alert-rules.ts";

/** Monday 2 March 2026, 10:00 UTC: inside the default business hours. */
const MONDAY_10 = Date.parse("2026-03-02T10:00:00.000Z");
const MINUTE = 60_000;
const TOKEN = "pb_Ab3d…x9Yz";
const rules = parseAlertRules(defaultAlertRulesYaml);

/** Events at `minute` minutes after Monday 10:00, numbered in order. */
function stream(): (minute: number, fields: Partial<AuditEvent>) => AuditEvent {
  let seq = 0;
  return (minute, fields) => {
    seq++;
    return {
      schema_version: 1,
      id: `evt_${String(seq).padStart(5, "0")}`,
      seq,
      timestamp: new Date(MONDAY_10 + minute * MINUTE).toISOString(),
      event: "system",
      action: "started",
      severity: "info",
      outcome: "success",
      user: "anonymous",
      actor: { type: "anonymous", id: "anonymous", auth_method: "none" },
      ip_address: "198.51.100.7",
      user_agent: null,
      request_id: null,
      target: null,
      details: {},
      ...fields,
    };
  };
}

function run(events: readonly AuditEvent[], options?: AlertEvaluatorOptions): FiredAlert[] {
  const evaluator = new AlertEvaluator(rules, options);
  return events.flatMap((event) => evaluator.observe(event));
}

const names = (alerts: readonly FiredAlert[]): string[] => alerts.map((alert) => alert.ruleName);

const failedLogin = (userId: string | null, ip = "203.0.113.9"): Partial<AuditEvent> => ({
  event: "authentication",
  action: "login_failed",
  outcome: "failure",
  ip_address: ip,
  target: userId === null ? { type: "user" } : { type: "user", id: userId },
  details: { code: "LoginFailed", reason: "password" },
});

const tokenActor = (fingerprint: string) => ({
  user: fingerprint,
  actor: { type: "token" as const, id: fingerprint, auth_method: "basic" as const },
});

const download = (name: string, fingerprint = TOKEN, ip = "203.0.113.9"): Partial<AuditEvent> => ({
  ...tokenActor(fingerprint),
  event: "package_access",
  action: "download",
  ip_address: ip,
  target: { type: "package", name, version: "1.0.0.0" },
  details: { status: 200 },
});

describe("brute force", () => {
  const failures = (count: number, spreadMinutes: number, userId: string | null = "usr_1") => {
    const at = stream();
    return Array.from({ length: count }, (_, i) =>
      at((i * spreadMinutes) / Math.max(1, count - 1), failedLogin(userId)),
    );
  };

  it("fires on 10 failed logins for one account within 10 minutes, naming the events", () => {
    const alerts = run(failures(10, 9));
    expect(names(alerts)).toEqual(["pb_brute_force"]);
    expect(alerts[0]).toMatchObject({ groupKey: { "target.id": "usr_1" }, count: 10, level: "high" });
    expect(alerts[0]?.evidence.map((ref) => ref.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(alerts[0]?.firstTimestamp).toBe("2026-03-02T10:00:00.000Z");
    expect(alerts[0]?.lastTimestamp).toBe("2026-03-02T10:09:00.000Z");
  });

  it("does not fire on 9 failures, 10 spread over 11 minutes, or failures of unknown accounts", () => {
    expect(run(failures(9, 5))).toEqual([]);
    expect(run(failures(10, 11))).toEqual([]);
    expect(run(failures(12, 5, null))).toEqual([]);
  });

  it("does not add up failures of different accounts", () => {
    const at = stream();
    const events = Array.from({ length: 10 }, (_, i) => at(i / 2, failedLogin(`usr_${i % 2}`)));
    expect(run(events)).toEqual([]);
  });

  it("counts lockout refusals, and stays quiet for 30 minutes after firing", () => {
    const at = stream();
    const locked = { ...failedLogin("usr_1"), action: "login_locked", outcome: "denied" as const };
    const events = Array.from({ length: 25 }, (_, i) => at(i / 3, i < 10 ? failedLogin("usr_1") : locked));
    expect(names(run(events))).toEqual(["pb_brute_force"]);
  });

  it("fires critically with a lock-account response when a success follows", () => {
    const at = stream();
    const events = [
      ...failures(10, 5),
      at(12, { ...failedLogin("usr_1"), action: "login_succeeded", outcome: "success" }),
    ];
    const alerts = run(events);
    expect(names(alerts)).toEqual(["pb_brute_force", "pb_brute_force_then_success"]);
    expect(alerts[1]).toMatchObject({
      level: "critical",
      response: "lock-account",
      subject: "usr_1",
      count: 2,
    });
    expect(alerts[1]?.evidence).toHaveLength(11);
  });

  it("does not treat a success of another account, or one 40 minutes later, as the sequence", () => {
    const success = (userId: string) => ({
      ...failedLogin(userId),
      action: "login_succeeded",
      outcome: "success" as const,
    });
    const at = stream();
    expect(names(run([...failures(10, 5), at(6, success("usr_2"))]))).toEqual(["pb_brute_force"]);
    expect(names(run([...failures(10, 5), at(45, success("usr_1"))]))).toEqual(["pb_brute_force"]);
  });
});

describe("password spray", () => {
  const spray = (accounts: number, minutes: number, ip: (i: number) => string) => {
    const at = stream();
    return Array.from({ length: accounts }, (_, i) =>
      at((i * minutes) / (accounts - 1), failedLogin(`usr_${i}`, ip(i))),
    );
  };

  it("fires on more than 15 accounts failing from one /24 within 5 minutes", () => {
    const alerts = run(spray(16, 4, (i) => `203.0.113.${i + 1}`));
    expect(names(alerts)).toEqual(["pb_password_spray"]);
    expect(alerts[0]).toMatchObject({ groupKey: { "pb.ip_network": "203.0.113.0/24" }, count: 16 });
  });

  it("counts truncated addresses (PB_AUDIT_IP_MODE=truncate) and IPv6 /48s the same way", () => {
    expect(names(run(spray(16, 4, () => "203.0.113.0/24")))).toEqual(["pb_password_spray"]);
    expect(names(run(spray(16, 4, (i) => `2001:db8:7:${i.toString(16)}::1`)))).toEqual(["pb_password_spray"]);
  });

  it("does not fire on 15 accounts, two networks, or 16 accounts over 6 minutes", () => {
    expect(run(spray(15, 4, () => "203.0.113.9"))).toEqual([]);
    expect(run(spray(16, 4, (i) => (i % 2 === 0 ? "203.0.113.9" : "203.0.114.9")))).toEqual([]);
    expect(run(spray(16, 6, () => "203.0.113.9"))).toEqual([]);
  });

  it("does not count one account failing 16 times (that is a brute force)", () => {
    const at = stream();
    const events = Array.from({ length: 16 }, (_, i) => at(i / 4, failedLogin("usr_1", "203.0.113.9")));
    expect(names(run(events))).toEqual(["pb_brute_force"]);
  });
});

describe("revoked or expired token presented", () => {
  const presented = (action: string, fingerprint = TOKEN): Partial<AuditEvent> => ({
    ...tokenActor(fingerprint),
    event: "authentication",
    action,
    outcome: "failure",
    severity: "warning",
  });

  it("fires per token, at most once an hour", () => {
    const at = stream();
    const events = [
      at(0, presented("token_revoked")),
      at(1, presented("token_revoked")),
      at(2, presented("token_expired", "pb_Other…0001")),
      at(62, presented("token_revoked")),
    ];
    const alerts = run(events);
    expect(names(alerts)).toEqual([
      "pb_dead_token_presented",
      "pb_dead_token_presented",
      "pb_dead_token_presented",
    ]);
    expect(alerts.map((alert) => alert.groupKey["actor.id"])).toEqual([TOKEN, "pb_Other…0001", TOKEN]);
  });

  it("does not fire on an unknown token or an accepted one", () => {
    const at = stream();
    expect(
      run([at(0, presented("token_invalid")), at(1, { ...presented("token_accepted"), outcome: "success" })]),
    ).toEqual([]);
  });
});

describe("one token from many addresses", () => {
  const uses = (
    count: number,
    minutes: number,
    ip: (i: number) => string,
    fingerprint: (i: number) => string = () => TOKEN,
  ) => {
    const at = stream();
    return Array.from({ length: count }, (_, i) =>
      at((i * minutes) / (count - 1), { ...download("acme/a", fingerprint(i), ip(i)) }),
    );
  };

  it("fires on more than 5 addresses within an hour, asking to suspend the token", () => {
    const alerts = run(uses(6, 50, (i) => `192.0.2.${i}`));
    expect(names(alerts)).toEqual(["pb_token_many_addresses"]);
    expect(alerts[0]).toMatchObject({ response: "suspend-token", subject: TOKEN, count: 6 });
  });

  it("does not fire on 5 addresses, 6 over two hours, or 6 tokens from 6 addresses", () => {
    expect(run(uses(12, 50, (i) => `192.0.2.${i % 5}`))).toEqual([]);
    expect(run(uses(6, 120, (i) => `192.0.2.${i}`))).toEqual([]);
    expect(
      run(
        uses(
          6,
          50,
          (i) => `192.0.2.${i}`,
          (i) => `pb_Tok${i}`,
        ),
      ),
    ).toEqual([]);
  });
});

describe("mass download", () => {
  it("fires on more than 200 distinct packages within 10 minutes", () => {
    const at = stream();
    const events = Array.from({ length: 201 }, (_, i) => at(i / 25, download(`acme/p${i}`)));
    const alerts = run(events);
    expect(names(alerts)).toEqual(["pb_mass_download_packages"]);
    expect(alerts[0]).toMatchObject({ response: "suspend-token", subject: TOKEN, count: 201 });
    expect(alerts[0]?.evidence).toHaveLength(50);
    expect(alerts[0]?.evidence.at(-1)?.seq).toBe(201);
  });

  it("fires on more than 2000 dists within an hour", () => {
    const at = stream();
    const events = Array.from({ length: 2001 }, (_, i) => at(i / 40, download(`acme/p${i % 20}`)));
    expect(names(run(events))).toEqual(["pb_mass_download_dists"]);
  });

  it("does not fire on 200 packages, 2000 dists, or refused downloads", () => {
    const at = stream();
    expect(run(Array.from({ length: 200 }, (_, i) => at(i / 25, download(`acme/p${i}`))))).toEqual([]);
    expect(run(Array.from({ length: 2000 }, (_, i) => at(i / 40, download(`acme/p${i % 20}`))))).toEqual([]);
    const denied = { action: "download_denied", outcome: "denied" as const };
    expect(
      run(Array.from({ length: 300 }, (_, i) => at(i / 40, { ...download(`acme/p${i}`), ...denied }))),
    ).toEqual([]);
  });
});

describe("configuration change outside business hours", () => {
  const change = (iso: string, outcome: AuditEvent["outcome"] = "success"): AuditEvent => ({
    ...stream()(0, {
      event: "configuration",
      action: "settings_changed",
      outcome,
      target: { type: "settings" },
    }),
    timestamp: iso,
  });

  it("fires at night and at the weekend (UTC, Monday to Friday, 08:00-18:00 by default)", () => {
    expect(names(run([change("2026-03-02T22:00:00.000Z")]))).toEqual([
      "pb_configuration_change_outside_business_hours",
    ]);
    expect(names(run([change("2026-03-07T10:00:00.000Z")]))).toEqual([
      "pb_configuration_change_outside_business_hours",
    ]);
    expect(names(run([change("2026-03-02T18:00:00.000Z")]))).toEqual([
      "pb_configuration_change_outside_business_hours",
    ]);
  });

  it("does not fire inside business hours, or on a refused change", () => {
    expect(run([change("2026-03-02T10:00:00.000Z")])).toEqual([]);
    expect(run([change("2026-03-02T08:00:00.000Z")])).toEqual([]);
    expect(run([change("2026-03-02T23:00:00.000Z", "failure")])).toEqual([]);
  });

  it("uses the configured time zone and hours", () => {
    const newYork = {
      businessHours: {
        timeZone: "America/New_York",
        days: ["mon", "tue", "wed", "thu", "fri"],
        start: "09:00",
        end: "17:00",
      },
    } as const;
    expect(run([change("2026-03-02T14:30:00.000Z")], newYork)).toEqual([]);
    expect(names(run([change("2026-03-02T13:30:00.000Z")], newYork))).toEqual([
      "pb_configuration_change_outside_business_hours",
    ]);
  });
});

describe("privilege grants", () => {
  const userChange = (action: string, before: string | null, after: string): Partial<AuditEvent> => ({
    event: "user",
    action,
    target: { type: "user", id: "usr_9" },
    details:
      before === null
        ? { after: { role: after, status: "active" } }
        : { before: { role: before, status: "active" }, after: { role: after, status: "active" } },
  });
  const tokenChange = (action: string, before: string[] | null, after: string[]): Partial<AuditEvent> => ({
    event: "token",
    action,
    target: { type: "token", id: "tok_1", name: TOKEN },
    details:
      before === null
        ? { after: { scopes: after } }
        : { before: { scopes: before }, after: { scopes: after } },
  });

  it("fires when a user is made, created or invited as admin", () => {
    const at = stream();
    const events = [
      at(0, userChange("role_changed", "maintainer", "admin")),
      at(1, userChange("created", null, "admin")),
      at(2, {
        event: "user",
        action: "invited",
        target: { type: "user", id: "usr_8" },
        details: { role: "admin" },
      }),
    ];
    expect(names(run(events))).toEqual(["pb_user_made_admin", "pb_user_made_admin", "pb_user_made_admin"]);
  });

  it("does not fire on a user made maintainer, an admin blocked, or a maintainer invited", () => {
    const at = stream();
    const events = [
      at(0, userChange("role_changed", "viewer", "maintainer")),
      at(1, userChange("blocked", "admin", "admin")),
      at(2, {
        event: "user",
        action: "invited",
        target: { type: "user", id: "usr_8" },
        details: { role: "maintainer" },
      }),
      at(3, { ...userChange("role_changed", "maintainer", "admin"), outcome: "failure" }),
    ];
    expect(run(events)).toEqual([]);
  });

  it("fires when a token gets the admin scope, not when it keeps or lacks it", () => {
    const at = stream();
    const granted = [
      at(0, tokenChange("created", null, ["read", "admin"])),
      at(1, tokenChange("updated", ["read"], ["admin"])),
    ];
    expect(names(run(granted))).toEqual(["pb_token_made_admin", "pb_token_made_admin"]);
    const benign = [
      at(2, tokenChange("created", null, ["read", "write"])),
      at(3, tokenChange("updated", ["admin"], ["admin", "read"])),
    ];
    expect(run(benign)).toEqual([]);
  });
});

describe("changes to the audit system", () => {
  const audit = (action: string, details: Record<string, unknown> = {}): Partial<AuditEvent> => ({
    event: "audit",
    action,
    details,
  });
  const setting = (name: string): Partial<AuditEvent> => ({
    event: "configuration",
    action: "setting_changed",
    target: { type: "setting", name },
    details: { before: "truncate", after: "full" },
  });
  const retention = (before: number, after: number) =>
    audit("retention_changed", { changed: { package_access: { before, after } } });

  it("fires on a removed or paused sink, a released hold, a shortened retention, a new key, the IP mode", () => {
    const at = stream();
    const events = [
      at(0, audit("sink_removed")),
      at(1, audit("sink_paused")),
      at(2, audit("legal_hold_released")),
      at(3, retention(365, 30)),
      at(4, audit("checkpoint_key_created")),
      at(5, setting("PB_AUDIT_IP_MODE")),
    ];
    expect(names(run(events))).toEqual(Array<string>(6).fill("pb_audit_system_changed"));
  });

  it("fires when a sink refused a record for good and when the retention purge waits for a sink", () => {
    const at = stream();
    const events = [
      at(0, { ...audit("sink_record_parked", { record_id: "E1" }), outcome: "failure" }),
      at(1, audit("retention_held_for_sinks", { kept_from_seq: 1 })),
      at(2, setting("PB_AUDIT_SIGNING_KEY")),
    ];
    expect(names(run(events))).toEqual(Array<string>(3).fill("pb_audit_system_changed"));
  });

  it("does not fire on a resumed sink, a placed hold, a longer retention, or another setting", () => {
    const at = stream();
    const events = [
      at(0, audit("sink_resumed")),
      at(1, audit("legal_hold_placed")),
      at(2, retention(30, 365)),
      at(3, setting("PB_LOG_LEVEL")),
      at(4, audit("searched")),
    ];
    expect(run(events)).toEqual([]);
  });
});
