import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import type { AlertNotice } from "../audit/alerts/alert-notice.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { loadConfig } from "../config/load-config.ts";
import { createSilentLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-alert-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  // A password spray: 16 accounts failing from one /24 within five minutes.
  const runtime = await openRuntime(loadConfig(env), createSilentLogger());
  try {
    for (let i = 0; i < 16; i += 1) {
      await auditTrail(runtime.audit.log, {
        actor: { type: "anonymous", id: "anonymous", auth_method: "none" },
        ipAddress: `192.0.2.${10 + i}`,
        userAgent: null,
        requestId: null,
      }).record({
        event: "authentication",
        action: "login_failed",
        outcome: "failure",
        target: { type: "user", id: `usr_${String(i).padStart(26, "0")}` },
      });
    }
    await runtime.alertRunner.run();
  } finally {
    await runtime.close();
  }
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const cli = (args: readonly string[]) => runCliCaptured(args, env);

describe("package-broker alerts", () => {
  it("lists, shows and acknowledges alerts", async () => {
    const listed = await cli(["alerts", "list", "--open", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const { alerts } = JSON.parse(listed.stdout) as { alerts: AlertNotice[] };
    const spray = alerts.find((alert) => alert.ruleName === "pb_password_spray");
    if (spray === undefined) throw new Error(`no password spray in ${listed.stdout}`);
    expect(spray.group).toEqual({ "pb.ip_network": "192.0.2.0/24" });

    const table = await cli(["alerts", "list"]);
    expect(table.stdout).toMatch(/ID\s+RAISED\s+LEVEL\s+STATUS\s+TITLE/);
    const shown = await cli(["alerts", "show", spray.id]);
    expect(shown.stdout).toContain("Password spray");
    expect(shown.stdout).toContain("Status: open");

    const acked = await cli(["alerts", "ack", spray.id, "--note", "blocked the network at the edge"]);
    expect(acked.code, acked.stderr).toBe(0);
    const again = await cli(["alerts", "ack", spray.id]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("acknowledged already");
    const open = JSON.parse((await cli(["alerts", "list", "--open", "--json"])).stdout) as {
      alerts: AlertNotice[];
    };
    expect(open.alerts.map((alert) => alert.id)).not.toContain(spray.id);
  });

  it("prints the rules, and as Sigma", async () => {
    const rules = await cli(["alerts", "rules"]);
    expect(rules.stdout).toContain("pb_brute_force");
    const sigma = await cli(["alerts", "rules", "--sigma"]);
    expect(sigma.stdout).toContain("logsource:");
    expect(sigma.stdout).not.toContain("response:");
  });

  it("refuses bad calls clearly", async () => {
    const unknown = await cli(["alerts", "show", "alt_nope"]);
    expect(unknown.stderr).toContain('no alert has the id "alt_nope"');
    const limit = await cli(["alerts", "list", "--limit", "many"]);
    expect(limit.stderr).toContain("expected a whole number");
  });
});
