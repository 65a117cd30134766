import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import type { AuditEvent } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;
let eventId: string;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-privacy-"));
  env = {
    PB_DATA_DIR: path.join(root, "data"),
    PB_BASE_URL: "http://broker.test",
    PB_AUDIT_RAW_IP_DAYS: "30",
  };
  const runtime = await openRuntime(loadConfig(env), createLogger({ level: "silent" }));
  try {
    await runtime.auditSubjects.register("usr_01alice", {
      email: "alice@example.com",
      name: "Alice Example",
    });
    const trail = auditTrail(runtime.audit.log, {
      actor: { type: "user", id: "usr_01alice", auth_method: "session" },
      ipAddress: "203.0.113.0/24",
      rawIpAddress: "203.0.113.44",
      userAgent: null,
      requestId: null,
    });
    const event = await trail.record({ event: "token", action: "created", outcome: "success" });
    await trail.record({ event: "token", action: "revoked", outcome: "success" });
    eventId = event.id;
  } finally {
    await runtime.close();
  }
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function search(q: string): Promise<AuditEvent[]> {
  const run = await cli(["audit", "search", q, "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { events: AuditEvent[] }).events;
}

describe("audit raw-ip", () => {
  it("prints the raw address kept beside an event, and records the read", async () => {
    const run = await cli(["audit", "raw-ip", eventId]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("203.0.113.44\n");
    const [read] = await search("action:audit.raw_ip_read");
    expect(read).toMatchObject({
      actor: { type: "console" },
      target: { id: eventId },
      details: { state: "kept" },
    });
  });

  it("refuses an unknown event (exit 1)", async () => {
    const run = await cli(["audit", "raw-ip", "01NOSUCHEVENT"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no audit event has the id 01NOSUCHEVENT/);
  });
});

describe("audit erase-subject", () => {
  it("finds a person's events by e-mail until erased; then only by the pseudonymous id, and the log verifies", async () => {
    expect((await search("actor:alice@example.com")).map((event) => event.action)).toEqual([
      "revoked",
      "created",
    ]);
    expect(await search('actor:"Alice Example"')).toHaveLength(2);

    const run = await cli(["audit", "erase-subject", "alice@example.com", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ erased: ["usr_01alice"] });

    expect(await search("actor:alice@example.com")).toEqual([]);
    expect(await search("actor:usr_01alice")).toHaveLength(2);
    const [erasure] = await search("action:audit.subject_erased");
    expect(erasure).toMatchObject({ severity: "warning", details: { subjects: ["usr_01alice"] } });
    expect(JSON.stringify(erasure)).not.toMatch(/alice@|Alice Example/);
    const verify = await cli(["audit", "verify", "--json"]);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it("refuses an unknown subject (exit 1) and records the refusal without the name asked for", async () => {
    const run = await cli(["audit", "erase-subject", "nobody@example.com"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no audit subject has that id, e-mail address or name/);
    const [refusal] = await search("action:audit.subject_erased outcome:failure");
    expect(JSON.stringify(refusal)).not.toContain("nobody@example.com");
  });
});
