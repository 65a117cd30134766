import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import { consoleContext, type AuditEvent } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-search-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  const runtime = await openRuntime(loadConfig(env), createLogger({ level: "silent" }));
  try {
    const trail = auditTrail(runtime.audit.log, consoleContext);
    for (const name of ["acme/alpha", "acme/beta", "other/gamma"]) {
      await trail.record({
        event: "package",
        action: "uploaded",
        outcome: "success",
        target: { type: "package", name, version: "1.0.0" },
      });
    }
  } finally {
    await runtime.close();
  }
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("audit search", () => {
  it("takes a query that starts with a negation as the query, not as an option", async () => {
    const run = await cli(["audit", "search", "-event:system -event:configuration", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const page = JSON.parse(run.stdout) as { events: { event: string }[] };
    expect(page.events.length).toBeGreaterThan(0);
    expect(page.events.every((event) => event.event !== "system" && event.event !== "configuration")).toBe(
      true,
    );
  });

  it("prints matching events newest first, as JSON and as lines", async () => {
    const run = await cli(["audit", "search", "package:acme/*", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const page = JSON.parse(run.stdout) as { events: AuditEvent[]; next_cursor: string | null };
    expect(page.events.map((event) => event.target?.name)).toEqual(["acme/beta", "acme/alpha"]);
    expect(page.next_cursor).toBeNull();

    const human = await cli(["audit", "search", "package:acme/*"]);
    expect(human.stdout).toMatch(
      /^#\d+ {2}\S+Z {2}package\.uploaded {2}success {2}console {2}- {2}package {2}acme\/beta {2}1\.0\.0\n#\d+/,
    );
  });

  it("pages with --limit and --cursor", async () => {
    const first = JSON.parse(
      (await cli(["audit", "search", "event:package", "--limit", "2", "--json"])).stdout,
    ) as {
      events: AuditEvent[];
      next_cursor: string;
    };
    expect(first.events).toHaveLength(2);
    const human = await cli(["audit", "search", "event:package", "--limit", "2"]);
    expect(human.stdout).toContain(`More events: add --cursor ${first.next_cursor}`);
    const second = JSON.parse(
      (
        await cli([
          "audit",
          "search",
          "event:package",
          "--limit",
          "2",
          "--cursor",
          first.next_cursor,
          "--json",
        ])
      ).stdout,
    ) as { events: AuditEvent[]; next_cursor: string | null };
    expect(second.events.map((event) => event.target?.name)).toEqual(["acme/alpha"]);
    expect(second.next_cursor).toBeNull();
  });

  it("records each search as the console's", async () => {
    await cli(["audit", "search", "package:other/gamma"]);
    const run = await cli(["audit", "search", "action:audit.searched", "--limit", "1", "--json"]);
    const [event] = (JSON.parse(run.stdout) as { events: AuditEvent[] }).events;
    expect(event).toMatchObject({
      actor: { type: "console" },
      details: { query: "package:other/gamma", returned: 1 },
    });
  });

  it.each([
    [["audit", "search", "nope:1"], /unknown qualifier "nope" at position 0/],
    [["audit", "search", "", "--limit", "0"], /limit must be a whole number from 1 to 1000/],
    [["audit", "search", "", "--limit", "ten"], /limit must be a whole number/],
    [["audit", "search", "", "--order", "up"], /order must be asc or desc/],
    [["audit", "search", "", "--cursor", "zzz"], /cursor is not a cursor this server returned/],
  ])("refuses %j with a clear message and exit 2", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("says so when nothing matches", async () => {
    const run = await cli(["audit", "search", "package:nobody/none"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("No events match.\n");
  });
});
