import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogstashDouble } from "../../test/doubles/logstash-double.ts";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import type { SinkView } from "../audit/sinks/sink-view.ts";
import { loadConfig } from "../config/load-config.ts";
import { createSilentLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";
import { parseOptions } from "./audit-sink-commands.ts";

let root: string;
let env: Record<string, string>;
let logstash: LogstashDouble;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-sink-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  logstash = await LogstashDouble.start({ user: "shipper", password: "s3cret-pass" });
});

afterAll(async () => {
  await logstash.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const cli = (args: readonly string[], stdin?: string) =>
  runCliCaptured(args, env, stdin === undefined ? {} : { stdin });

describe("package-broker audit sink", () => {
  let id = "";

  it("adds a sink and prints its id with --json", async () => {
    const url = logstash.url.replace("http://", "http://shipper:s3cret-pass@");
    const added = await cli([
      "audit",
      "sink",
      "add",
      "--type",
      "logstash",
      "--url",
      url,
      "--name",
      "soc",
      "--json",
    ]);
    expect(added.code, added.stderr).toBe(0);
    const view = JSON.parse(added.stdout) as SinkView;
    expect(view).toMatchObject({ name: "soc", type: "logstash", credentials: { userinfo: true } });
    expect(added.stdout).not.toContain("s3cret-pass");
    id = view.id;
  });

  it("sends a test event to the real receiver, by name or id", async () => {
    const tested = await cli(["audit", "sink", "test", "soc"]);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^Delivered in \d+ ms/);
    expect(logstash.events.at(-1)).toMatchObject({ action: "sink_test", seq: 0 });
  });

  it("delivers the log when the server's round runs, and lists the lag", async () => {
    const runtime = await openRuntime(loadConfig(env), createSilentLogger());
    try {
      await runtime.sinkDispatcher.deliverDue();
    } finally {
      await runtime.close();
    }
    const actions = logstash.events.map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(["migrated", "sink_created", "sink_tested"]));
    const listed = await cli(["audit", "sink", "list", "--json"]);
    const { sinks } = JSON.parse(listed.stdout) as { sinks: SinkView[] };
    expect(sinks).toHaveLength(1);
    expect(sinks[0]).toMatchObject({ id, lastError: null, failures: 0 });
    expect(sinks[0]?.delivered).toBeGreaterThanOrEqual(3);
    const table = await cli(["audit", "sink", "list"]);
    expect(table.stdout).toMatch(/soc\s+logstash\s+delivering/);
  });

  it("pauses, resumes, shows and removes", async () => {
    expect((await cli(["audit", "sink", "pause", id])).stdout).toBe("soc: paused\n");
    const shown = await cli(["audit", "sink", "show", "soc"]);
    expect(shown.stdout).toContain("State:        paused since");
    expect((await cli(["audit", "sink", "resume", "soc"])).stdout).toBe("soc: delivering\n");
    expect((await cli(["audit", "sink", "parked", "soc"])).stdout).toBe("Nothing parked.\n");
    const removed = await cli(["audit", "sink", "remove", "soc", "--json"]);
    expect(JSON.parse(removed.stdout)).toEqual({ id, removed: true });
    const again = await cli(["audit", "sink", "show", "soc"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('no audit sink has the id "soc"');
  });

  it("reads a webhook secret from standard input and rotates it", async () => {
    const added = await cli(
      [
        "audit",
        "sink",
        "add",
        "--type",
        "webhook",
        "--url",
        "https://hooks.example.com/a",
        "--secret-stdin",
        "--json",
      ],
      "a-secret-of-some-length\n",
    );
    expect(added.code, added.stderr).toBe(0);
    const view = JSON.parse(added.stdout) as SinkView;
    expect(view.credentials.signingKeys).toHaveLength(1);
    const rotated = await cli(
      ["audit", "sink", "rotate-secret", view.id, "--secret-stdin", "--overlap-hours", "1"],
      "the-next-secret-of-some-length\n",
    );
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("refuses bad calls with a clear message", async () => {
    const noToken = await cli([
      "audit",
      "sink",
      "add",
      "--type",
      "datadog",
      "--url",
      "https://http-intake.example",
    ]);
    expect(noToken.code).not.toBe(0);
    expect(noToken.stderr).toContain("a datadog sink needs a token (--token)");
    const badOption = await cli([
      "audit",
      "sink",
      "add",
      "--type",
      "loki",
      "--url",
      "https://l.example",
      "--option",
      "x",
    ]);
    expect(badOption.stderr).toContain("--option takes key=value");
    const both = await cli(
      [
        "audit",
        "sink",
        "add",
        "--type",
        "splunk-hec",
        "--url",
        "https://s.example",
        "--token",
        "a",
        "--token-stdin",
      ],
      "b\n",
    );
    expect(both.stderr).toContain("give --token or --token-stdin, not both");
    const unreachable = await cli([
      "audit",
      "sink",
      "add",
      "--type",
      "logstash",
      "--url",
      "http://127.0.0.1:9/",
      "--name",
      "nowhere",
    ]);
    expect(unreachable.code, unreachable.stderr).toBe(0);
    const failed = await cli(["audit", "sink", "test", "nowhere"]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^Not delivered/);
  });

  it("parses options: booleans, whole numbers, text", () => {
    expect(parseOptions(["index=main", "ack=true", "port=6514", "tag=v1.2"])).toEqual({
      index: "main",
      ack: true,
      port: 6514,
      tag: "v1.2",
    });
    expect(() => parseOptions(["a=1", "a=2"])).toThrow("--option a is given twice");
  });
});
