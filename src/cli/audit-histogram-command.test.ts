import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import { consoleContext, type AuditEvent } from "../audit/audit-event.ts";
import type { AuditHistogramResult } from "../audit/search/audit-histogram.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { ManualClock } from "../clock/clock.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

/** Uploads at chosen hours of 2026-03-01: 2 at 10:xx, none at 11:xx, 3 at 12:xx. */
const UPLOADS = ["10:05", "10:40", "12:00", "12:30", "12:59"];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-histogram-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  const clock = new ManualClock("2026-03-01T10:05:00.000Z");
  const runtime = await openRuntime(loadConfig(env), createLogger({ level: "silent" }), clock);
  try {
    const trail = auditTrail(runtime.audit.log, consoleContext);
    for (const [index, time] of UPLOADS.entries()) {
      clock.set(`2026-03-01T${time}:00.000Z`);
      await trail.record({
        event: "package",
        action: "uploaded",
        outcome: "success",
        target: { type: "package", name: `acme/pkg-${index}`, version: "1.0.0" },
      });
    }
  } finally {
    await runtime.close();
  }
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("audit histogram", () => {
  it("counts a search's events per round bucket, as JSON and as bars", async () => {
    const run = await cli(["audit", "histogram", "event:package", "--buckets", "3", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as AuditHistogramResult;
    expect(result).toEqual({
      // The range is the first match to just after the last; the bars are whole UTC hours.
      from: "2026-03-01T10:05:00.000Z",
      to: "2026-03-01T12:59:00.001Z",
      bucketSeconds: 3600,
      total: 5,
      buckets: [
        { start: "2026-03-01T10:00:00.000Z", count: 2 },
        { start: "2026-03-01T11:00:00.000Z", count: 0 },
        { start: "2026-03-01T12:00:00.000Z", count: 3 },
      ],
    });

    const human = await cli(["audit", "histogram", "event:package", "--buckets", "3"]);
    expect(human.stdout).toBe(
      [
        `2026-03-01T10:00:00.000Z  2  ${"#".repeat(27)}`,
        "2026-03-01T11:00:00.000Z  0",
        `2026-03-01T12:00:00.000Z  3  ${"#".repeat(40)}`,
        "5 events from 2026-03-01T10:05:00.000Z to 2026-03-01T12:59:00.001Z, 3600 s a bar",
        "",
      ].join("\n"),
    );
  });

  it("takes a negation as the query, and --from/--to as the range", async () => {
    const run = await cli([
      "audit",
      "histogram",
      "-event:system -event:configuration -event:audit",
      "--from",
      "2026-03-01T12:00:00Z",
      "--to",
      "2026-03-01T12:30:00Z",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as AuditHistogramResult;
    expect(result.total).toBe(1);
    expect(result.from).toBe("2026-03-01T12:00:00.000Z");
  });

  it("records each count as the console's", async () => {
    await cli(["audit", "histogram", "package:acme/pkg-1"]);
    const run = await cli(["audit", "search", "action:audit.histogram_read", "--limit", "1", "--json"]);
    const [event] = (JSON.parse(run.stdout) as { events: AuditEvent[] }).events;
    expect(event).toMatchObject({
      actor: { type: "console" },
      outcome: "success",
      details: { query: "package:acme/pkg-1", total: 1 },
    });
  });

  it.each([
    [["audit", "histogram", "nope:1"], /unknown qualifier "nope" at position 0/],
    [["audit", "histogram", "", "--buckets", "0"], /buckets/],
    [["audit", "histogram", "", "--buckets", "501"], /buckets/],
    [["audit", "histogram", "", "--buckets", "ten"], /buckets/],
    [["audit", "histogram", "", "--from", "yesterday"], /from/],
    [["audit", "histogram", "", "--from", "2026-03-02", "--to", "2026-03-01"], /from/],
  ])("refuses %j with a clear message and exit 2", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("says so when nothing matches", async () => {
    const run = await cli(["audit", "histogram", "package:nobody/none"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("No events match.\n");
  });
});
