import { spawn } from "node:child_process";
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

const EVENTS = 2500;
let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[], isTerminal = false) => runCliCaptured(args, env, { isTerminal });

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-export-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  const runtime = await openRuntime(loadConfig(env), createLogger({ level: "silent" }));
  try {
    const trail = auditTrail(runtime.audit.log, consoleContext);
    await Promise.all(
      Array.from({ length: EVENTS }, (_, index) =>
        trail.record({
          event: "package",
          action: "uploaded",
          outcome: "success",
          target: { type: "package", name: `acme/pkg-${index % 10}`, version: `1.0.${index}` },
          details: { index },
        }),
      ),
    );
  } finally {
    await runtime.close();
  }
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("audit export", () => {
  it("streams JSON lines of the matching events to stdout, oldest first", async () => {
    const run = await cli(["audit", "export", "--format", "jsonl", "--query", "package:acme/pkg-3"]);
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as AuditEvent);
    expect(events).toHaveLength(EVENTS / 10);
    expect(events.every((event) => event.target?.name === "acme/pkg-3")).toBe(true);
    const seqs = events.map((event) => event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("writes a file (mode 0600) through a partial file, with progress on a terminal", async () => {
    const file = path.join(root, "all.csv");
    const run = await cli(["audit", "export", "--format", "csv", "--output", file], true);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/\d+\/\d+ events/);
    expect(run.stderr).toMatch(/Exported \d+ events \(csv\) to .*all\.csv\n$/);
    const lines = fs.readFileSync(file, "utf8").split("\r\n");
    expect(lines[0]).toMatch(/^seq,id,/);
    expect(lines.length).toBeGreaterThan(EVENTS);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(root).filter((name) => name.includes(".partial"))).toEqual([]);
  });

  it("records the export, with the query, the format and how many events", async () => {
    await cli([
      "audit",
      "export",
      "--format",
      "cef",
      "--query",
      "package:acme/pkg-7",
      "--output",
      path.join(root, "x.cef"),
    ]);
    const run = await cli(["audit", "search", "action:audit.exported", "--limit", "1", "--json"]);
    const [event] = (JSON.parse(run.stdout) as { events: AuditEvent[] }).events;
    expect(event).toMatchObject({
      actor: { type: "console" },
      outcome: "success",
      details: { format: "cef", query: "package:acme/pkg-7", events: EVENTS / 10 },
    });
  });

  it.each([
    [["--format", "xml"], /format must be one of jsonl, csv, ecs, ocsf, cef/],
    [["--query", "nope:1"], /unknown qualifier "nope"/],
    [["--output", "/nonexistent/dir/out.jsonl"], /cannot write \/nonexistent\/dir\/out\.jsonl/],
  ])("refuses %j with a clear message, exit 2 and no file", async (args, message) => {
    const before = fs.readdirSync(root);
    const run = await cli(["audit", "export", ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
    expect(fs.readdirSync(root)).toEqual(before);
  });

  it("stops quietly when the reader of stdout goes away (| head)", async () => {
    const bin = path.resolve("bin/package-broker.js");
    const child = spawn(process.execPath, [bin, "audit", "export", "--format", "jsonl"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (data: Buffer) => {
      stderr += data.toString();
    });
    child.stdout.once("data", () => {
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
