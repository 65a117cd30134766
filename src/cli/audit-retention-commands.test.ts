import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import { consoleContext, type AuditEvent } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { ManualClock } from "../clock/clock.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-retention-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  // Two events from long ago, written with a clock in the past.
  const runtime = await openRuntime(
    loadConfig(env),
    createLogger({ level: "silent" }),
    new ManualClock("2020-01-01T00:00:00.000Z"),
  );
  try {
    const trail = auditTrail(runtime.audit.log, consoleContext);
    for (const name of ["acme/a", "acme/b"]) {
      await trail.record({
        event: "token",
        action: "created",
        outcome: "success",
        target: { type: "token", name },
      });
    }
  } finally {
    await runtime.close();
  }
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function lastAudit(action: string): Promise<AuditEvent | undefined> {
  const run = await cli(["audit", "search", `action:audit.${action}`, "--limit", "1", "--json"]);
  return (JSON.parse(run.stdout) as { events: AuditEvent[] }).events[0];
}

describe("audit retention", () => {
  it("shows the policy, the hold and the counts", async () => {
    const run = await cli(["audit", "retention", "show"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Legal hold: none\nRetention:\n/);
    expect(run.stdout).toMatch(/ {2}token +365 days +2 retained +0 purged +oldest 2020-01-01T00:00:00\.000Z/);
    const json = JSON.parse((await cli(["audit", "retention", "show", "--json"])).stdout) as {
      days: Record<string, number>;
    };
    expect(json.days.token).toBe(365);
  });

  it("sets one category or all, and records the change", async () => {
    const one = await cli(["audit", "retention", "set", "token", "30", "--json"]);
    expect(one.code, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as { days: Record<string, number> }).days).toMatchObject({
      token: 30,
      package_access: 365,
    });
    expect(await lastAudit("retention_changed")).toMatchObject({
      actor: { type: "console" },
      details: { changed: { token: { before: 365, after: 30 } } },
    });
    const all = await cli(["audit", "retention", "set", "--all", "400"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain("authentication: 400 days");
    expect((await cli(["audit", "retention", "set", "token", "30"])).code).toBe(0);
  });

  it("refuses a purge under legal hold (exit 1), then purges once released", async () => {
    expect((await cli(["audit", "retention", "hold", "--reason", "audit 2026"])).stdout).toBe(
      "Legal hold placed: audit 2026\n",
    );
    const refused = await cli(["audit", "retention", "purge"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/a legal hold is in force since/);
    expect(await lastAudit("retention_purged")).toMatchObject({ outcome: "denied" });

    expect((await cli(["audit", "retention", "release"])).code).toBe(0);
    const purged = await cli(["audit", "retention", "purge"]);
    expect(purged.code, purged.stderr).toBe(0);
    // The two token events, and the first start's own events of 2020 (older than 400 days).
    expect(purged.stdout).toMatch(/^Purged the payload of \d+ events:\n/);
    expect(purged.stdout).toMatch(/\n {2}token: 2 \(before \S+, seq \d+\.\.\d+\)/);
    expect((await cli(["audit", "retention", "purge"])).stdout).toBe("Nothing to purge.\n");
    const verify = await cli(["audit", "verify", "--json"]);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it.each([
    [["set", "token"], /give a category and days/],
    [["set", "--all", "token", "3"], /give a category and days/],
    [["set", "nope", "3"], /unknown category "nope"/],
    [["set", "token", "0"], /days must be a whole number from 1 to 36500/],
    [["set", "token", "many"], /days must be a whole number/],
    [["hold"], /required option '--reason <text>' not specified/],
    [["hold", "--reason", " "], /a legal hold needs a reason/],
    [["release"], /no legal hold is in force/, 1],
  ])("refuses retention %j", async (args, message, code = 2) => {
    const run = await cli(["audit", "retention", ...args]);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });
});
