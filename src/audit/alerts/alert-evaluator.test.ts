import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../audit-event.ts";
import { AlertEvaluator } from "./alert-evaluator.ts";
import { defaultAlertRulesYaml } from "./default-alert-rules.ts";
import type { FiredAlert } from "./fired-alert.ts";
import { parseAlertRules } from "./parse-alert-rules.ts";

const SEED = 20260302;
const START = Date.parse("2026-03-02T10:00:00.000Z");

/** An event `seconds` after START with these fields over a neutral `system` event. */
function eventAt(seq: number, seconds: number, fields: Partial<AuditEvent> = {}): AuditEvent {
  return {
    schema_version: 1,
    id: `evt_${seq}`,
    seq,
    timestamp: new Date(START + seconds * 1000).toISOString(),
    event: "system",
    action: "started",
    severity: "info",
    outcome: "success",
    user: "usr_1",
    actor: { type: "user", id: "usr_1", auth_method: "session" },
    ip_address: "203.0.113.7",
    user_agent: "Composer/2.8.4",
    request_id: null,
    target: { type: "package", name: "acme/widgets", version: "1.2.0.0" },
    details: {
      status: 200,
      scopes: ["read", "write"],
      before: { "security.requireTwoFactor": false },
      size: 2048,
    },
    ...fields,
  };
}

const baseRule = (detection: string, name = "test", idDigit = "1"): string =>
  `title: Test\nid: ${idDigit.repeat(8)}-2222-4333-8444-555555555555\nname: ${name}\nlogsource: {product: package-broker}\ndetection:\n${detection}`;

function matches(detection: string, fields: Partial<AuditEvent> = {}): boolean {
  const evaluator = new AlertEvaluator(parseAlertRules(baseRule(detection)));
  return evaluator.observe(eventAt(1, 0, fields)).length === 1;
}

describe("field matching", () => {
  it.each([
    ["  s: {action: STARTED}\n  condition: s", true],
    ["  s: {action: start*}\n  condition: s", true],
    ["  s: {action: st?rted}\n  condition: s", true],
    ["  s: {action|cased: STARTED}\n  condition: s", false],
    ["  s: {user_agent|contains: poser/2}\n  condition: s", true],
    ["  s: {user_agent|startswith: composer}\n  condition: s", true],
    ["  s: {target.name|endswith: /widgets}\n  condition: s", true],
    ["  s: {target.name|re: '^acme/[a-z]+$'}\n  condition: s", true],
    ["  s: {target.name|re: '^ACME/'}\n  condition: s", false],
    ["  s: {target.name|re|i: '^ACME/'}\n  condition: s", true],
    ["  s: {ip_address|cidr: 203.0.113.0/24}\n  condition: s", true],
    ["  s: {ip_address|cidr: [10.0.0.0/8, 2001:db8::/32]}\n  condition: s", false],
    [
      "  s: {request_id|exists: false, target.id|exists: false, target.name|exists: true}\n  condition: s",
      true,
    ],
    ["  s: {request_id: null}\n  condition: s", true],
    ["  s: {details.status: 200, details.size|gte: 2048, details.size|lt: 2048}\n  condition: s", false],
    ["  s: {details.status|gt: 199, details.size|lte: 2048}\n  condition: s", true],
    ["  s: {details.scopes: write}\n  condition: s", true],
    ["  s: {details.scopes|all: [read, admin]}\n  condition: s", false],
    ["  s: {details.scopes|all: [read, write]}\n  condition: s", true],
    ["  s: {details.before.security.requireTwoFactor: false}\n  condition: s", true],
    ["  s: {action: [deleted, started]}\n  condition: s", true],
    ["  s: [{action: deleted}, {outcome: success}]\n  condition: s", true],
    ["  s: {action: started}\n  f: {outcome: success}\n  condition: s and not f", false],
    ["  s1: {action: nope}\n  s2: {outcome: success}\n  condition: 1 of s*", true],
    ["  s1: {action: nope}\n  s2: {outcome: success}\n  condition: all of them", false],
    [
      "  a: {event: system}\n  b: {action: x}\n  c: {outcome: success}\n  condition: a and (b or c) and not (b and c)",
      true,
    ],
  ])("%s → %s", (detection, expected) => {
    expect(matches(detection)).toBe(expected);
  });

  it("reads a stored network as inside the block that holds it, never a keyed hash", () => {
    const detection = "  s: {ip_address|cidr: 203.0.0.0/16}\n  condition: s";
    expect(matches(detection, { ip_address: "203.0.113.0/24" })).toBe(true);
    expect(matches(detection, { ip_address: "hmac:0123456789abcdef0123456789abcdef" })).toBe(false);
    expect(matches(detection, { ip_address: null })).toBe(false);
  });
});

describe("correlations", () => {
  const rules = (correlation: string, extra = "") =>
    parseAlertRules(
      [
        baseRule("  s: {action: a}\n  condition: s", "rule_a", "a"),
        baseRule("  s: {action: b}\n  condition: s", "rule_b", "b"),
        baseRule("  s: {action: c}\n  condition: s", "rule_c", "c"),
        `title: Corr\nid: 99999999-2222-4333-8444-555555555555\nname: corr\n${extra}correlation:\n${correlation}`,
      ].join("\n---\n"),
    );
  const feed = (evaluator: AlertEvaluator, steps: readonly [number, string, string?][]): FiredAlert[] =>
    steps.flatMap(([seconds, action, user = "usr_1"], index) =>
      evaluator.observe(
        eventAt(index + 1, seconds, {
          action,
          user,
          actor: { type: "user", id: user, auth_method: "session" },
        }),
      ),
    );

  it("temporal: enough distinct rules within the timespan, in any order", () => {
    const evaluator = new AlertEvaluator(
      rules(
        "  type: temporal\n  rules: [rule_a, rule_b, rule_c]\n  group-by: [user]\n  timespan: 1m\n  condition: {gte: 2}",
      ),
    );
    const alerts = feed(evaluator, [
      [0, "b"],
      [10, "b"],
      [50, "a", "usr_2"],
      [59, "a"],
    ]);
    expect(alerts.map((alert) => [alert.ruleName, alert.groupKey, alert.count])).toEqual([
      ["corr", { user: "usr_1" }, 2],
    ]);
    expect(alerts[0]?.evidence.map((ref) => ref.seq)).toEqual([2, 4]);
  });

  it("temporal_ordered: the sequence in order within the timespan", () => {
    const corr = "  type: temporal_ordered\n  rules: [rule_a, rule_b]\n  timespan: 1m";
    expect(
      feed(new AlertEvaluator(rules(corr)), [
        [0, "b"],
        [1, "a"],
      ]),
    ).toEqual([]);
    expect(
      feed(new AlertEvaluator(rules(corr)), [
        [0, "a"],
        [61, "b"],
      ]),
    ).toEqual([]);
    expect(
      feed(new AlertEvaluator(rules(corr)), [
        [0, "a"],
        [30, "a"],
        [61, "b"],
      ]),
    ).toHaveLength(1);
  });

  it("generate: true lets the referenced base rules fire too", () => {
    const corr =
      "  type: event_count\n  rules: [rule_a]\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true";
    const alerts = feed(new AlertEvaluator(rules(corr)), [
      [0, "a"],
      [1, "a"],
      [2, "c"],
    ]);
    // rule_a is referenced with generate: true; rule_c is referenced by nothing, so it fires anyway.
    expect(alerts.map((alert) => alert.ruleName)).toEqual(["rule_a", "rule_a", "corr", "rule_c"]);
  });

  it("suppresses a group for the suppress timespan, other groups not", () => {
    const corr =
      "  type: event_count\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 1m\n  condition: {gte: 1}";
    const evaluator = new AlertEvaluator(rules(corr, "suppress: 10m\n"));
    const alerts = feed(evaluator, [
      [0, "a"],
      [60, "a"],
      [61, "a", "usr_2"],
      [601, "a"],
    ]);
    expect(alerts.map((alert) => [alert.groupKey.user, alert.lastTimestamp])).toEqual([
      ["usr_1", "2026-03-02T10:00:00.000Z"],
      ["usr_2", "2026-03-02T10:01:01.000Z"],
      ["usr_1", "2026-03-02T10:10:01.000Z"],
    ]);
  });

  it("counts an event that arrives with an earlier timestamp (clock skew) at the latest time seen", () => {
    const corr = "  type: event_count\n  rules: [rule_a]\n  timespan: 1m\n  condition: {gte: 2}";
    const alerts = feed(new AlertEvaluator(rules(corr)), [
      [100, "a"],
      [-500, "a"],
    ]);
    expect(alerts.map((alert) => [alert.firstTimestamp, alert.lastTimestamp])).toEqual([
      ["2026-03-02T10:01:40.000Z", "2026-03-02T10:01:40.000Z"],
    ]);
  });

  it("keeps at most maxGroupsPerRule groups, dropping the least recently active", () => {
    const corr =
      "  type: event_count\n  rules: [rule_a]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}";
    const evaluator = new AlertEvaluator(rules(corr), { maxGroupsPerRule: 3 });
    const alerts = feed(evaluator, [
      [0, "a", "u1"],
      [1, "a", "u2"],
      [2, "a", "u3"],
      [3, "a", "u4"],
      [4, "a", "u1"],
      [5, "a", "u4"],
    ]);
    expect(alerts.map((alert) => alert.groupKey.user)).toEqual(["u4"]);
    expect(evaluator.state()).toMatchObject({ groups: 3, evictedGroups: 2 });
  });
});

describe("AlertEvaluator", () => {
  const defaults = parseAlertRules(defaultAlertRulesYaml);
  const failure = (seq: number, seconds: number, userId = "usr_1"): AuditEvent =>
    eventAt(seq, seconds, {
      event: "authentication",
      action: "login_failed",
      outcome: "failure",
      actor: { type: "anonymous", id: "anonymous", auth_method: "none" },
      target: { type: "user", id: userId },
    });

  it("ignores alert events, so alerts never feed rules", () => {
    const evaluator = new AlertEvaluator(defaults);
    const alerts = Array.from({ length: 12 }, (_, i) =>
      evaluator.observe({ ...failure(i + 1, i), event: "alert" }),
    ).flat();
    expect(alerts).toEqual([]);
  });

  it("rebuilds its state from a replay: the replayed alerts are not raised again", () => {
    const events = Array.from({ length: 10 }, (_, i) => failure(i + 1, i * 10));
    const evaluator = new AlertEvaluator(defaults);
    evaluator.replay(events.slice(0, 9));
    expect(evaluator.observe(events[9]!).map((alert) => alert.ruleName)).toEqual(["pb_brute_force"]);
  });

  it("refuses invalid business hours and group caps", () => {
    expect(
      () =>
        new AlertEvaluator(defaults, {
          businessHours: { timeZone: "Mars/Olympus", days: ["mon"], start: "08:00", end: "18:00" },
        }),
    ).toThrow(/time zone/);
    expect(
      () =>
        new AlertEvaluator(defaults, {
          businessHours: { timeZone: "UTC", days: ["mon"], start: "8am", end: "18:00" },
        }),
    ).toThrow(/HH:MM/);
    expect(() => new AlertEvaluator(defaults, { maxGroupsPerRule: 0 })).toThrow(/maxGroupsPerRule/);
  });

  it("spans midnight when business hours start after they end", () => {
    const night = { timeZone: "UTC", days: ["mon", "tue"], start: "22:00", end: "06:00" } as const;
    const evaluator = new AlertEvaluator(defaults, { businessHours: night });
    const change = (iso: string): AuditEvent => ({
      ...eventAt(1, 0, { event: "configuration", action: "settings_changed" }),
      timestamp: iso,
    });
    expect(evaluator.observe(change("2026-03-02T23:00:00.000Z"))).toEqual([]);
    expect(evaluator.observe(change("2026-03-03T12:00:00.000Z"))).toHaveLength(1);
  });
});

describe("properties", () => {
  const defaults = parseAlertRules(defaultAlertRulesYaml);
  /** A brute force on usr_target with noise around it: other accounts, other tokens, other categories. */
  const attack = fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 5, maxLength: 30 }).map((gaps) => {
    let seconds = 0;
    return gaps.map((gap) => (seconds += gap));
  });
  const noise = fc.array(
    fc.record({
      kind: fc.constantFrom("other-account", "download", "metadata", "repository"),
      who: fc.integer({ min: 0, max: 20 }),
    }),
    { maxLength: 80 },
  );
  const noiseEvent = (seq: number, seconds: number, kind: string, who: number): AuditEvent => {
    const token = { type: "token" as const, id: `pb_Tok${who}`, auth_method: "basic" as const };
    if (kind === "other-account")
      return {
        ...eventAt(seq, seconds, { event: "authentication", action: "login_failed", outcome: "failure" }),
        target: { type: "user", id: `usr_${who}` },
      };
    if (kind === "download")
      return eventAt(seq, seconds, {
        event: "package_access",
        action: "download",
        actor: token,
        ip_address: `192.0.2.${who}`,
      });
    if (kind === "metadata") return eventAt(seq, seconds, { event: "package_access", action: "metadata" });
    return eventAt(seq, seconds, { event: "repository", action: "sync_completed" });
  };

  it("alerts about one account do not depend on unrelated interleaved events", () => {
    fc.assert(
      fc.property(attack, noise, fc.array(fc.nat(), { maxLength: 80 }), (times, extra, positions) => {
        const attackEvents = times.map((seconds, i) => ({
          ...eventAt(i + 1, seconds, { event: "authentication", action: "login_failed", outcome: "failure" }),
          target: { type: "user", id: "usr_target" },
        }));
        const mixed: AuditEvent[] = [...attackEvents];
        extra.forEach(({ kind, who }, i) => {
          const at = (positions[i] ?? 0) % (mixed.length + 1);
          const before = mixed[at - 1] ?? attackEvents[0]!;
          const seconds = (Date.parse(before.timestamp) - START) / 1000;
          mixed.splice(at, 0, noiseEvent(10_000 + i, seconds, kind, who));
        });
        const about = (events: readonly AuditEvent[]) => {
          const evaluator = new AlertEvaluator(defaults);
          return events
            .flatMap((event) => evaluator.observe(event))
            .filter((alert) => alert.groupKey["target.id"] === "usr_target");
        };
        expect(about(mixed)).toEqual(about(attackEvents));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("replaying a prefix and observing the rest raises what observing everything raises for the rest", () => {
    fc.assert(
      fc.property(attack, fc.nat(), (times, cut) => {
        const events = times.map((seconds, i) => ({
          ...eventAt(i + 1, seconds, { event: "authentication", action: "login_failed" }),
          target: { type: "user", id: `usr_${i % 2}` },
        }));
        const split = cut % (events.length + 1);
        const all = new AlertEvaluator(defaults);
        const expected = events
          .flatMap((event) => all.observe(event))
          .filter((alert) => (alert.evidence.at(-1)?.seq ?? 0) > split);
        const resumed = new AlertEvaluator(defaults);
        resumed.replay(events.slice(0, split));
        expect(events.slice(split).flatMap((event) => resumed.observe(event))).toEqual(expected);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("holds bounded state whatever the stream, and forgets it once the windows have passed", () => {
    fc.assert(
      fc.property(noise, fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 80 }), (extra, ids) => {
        const evaluator = new AlertEvaluator(defaults, { maxGroupsPerRule: 5 });
        extra.forEach(({ kind, who }, i) => {
          const event = noiseEvent(i + 1, i, kind, who + (ids[i] ?? 0));
          evaluator.observe(event);
          expect(evaluator.state().groups).toBeLessThanOrEqual(defaults.length * 5 * 2);
        });
        evaluator.observe(eventAt(100_000, 40 * 86_400));
        expect(evaluator.state()).toMatchObject({ groups: 0, entries: 0 });
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
