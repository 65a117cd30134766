import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowToEvent } from "../audit/audit-row.ts";
import type { CliIo } from "../cli/cli-context.ts";
import { registerSettingsCommands } from "../cli/settings-commands.ts";
import { loadConfig } from "../config/load-config.ts";
import { DomainError } from "../errors/domain-error.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-ip-mode-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test", PB_AUDIT_IP_MODE: "none" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** `package-broker settings ARGS`, as run-cli.ts registers the commands. */
async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  let code = 0;
  const io: CliIo = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    isTerminal: false,
  };
  const run = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      stderr += `error: ${error.message} [${error.code}]\n`;
      code = error.kind === "invalid" ? 2 : 1;
    }
  };
  const program = new Command("package-broker").exitOverride().configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
  });
  registerSettingsCommands(program, io, run);
  try {
    await program.parseAsync(["node", "package-broker", "settings", ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = 2;
  }
  return { code, stdout, stderr };
}

describe("package-broker settings and audit.ipMode", () => {
  it("shows PB_AUDIT_IP_MODE as its source until set, then sets it as the console", async () => {
    const before = await cli(["get"]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/audit\.ipMode\s+none/);
    expect(before.stdout).toMatch(/audit\.ipModeSource\s+environment/);

    for (const value of ["HASH", "null", "1", "true", '["hash"]', "anonymize"]) {
      const refused = await cli(["set", "audit.ipMode", value]);
      expect(refused.code, value).toBe(2);
      expect(refused.stderr).toContain("audit.ipMode");
    }
    const readOnly = await cli(["set", "audit.ipModeSource", "setting"]);
    expect(readOnly.code).toBe(2);
    expect(readOnly.stderr).toContain("read-only");

    const set = await cli(["set", "audit.ipMode", "hash"]);
    expect(set).toMatchObject({ code: 0, stdout: "audit.ipMode = hash\n" });
    const json = JSON.parse((await cli(["get", "--json"])).stdout) as { audit: Record<string, unknown> };
    expect(json.audit).toMatchObject({ ipMode: "hash", ipModeSource: "setting" });

    const config = loadConfig(env);
    const runtime = await openRuntime(config, createLogger({ level: "silent" }));
    try {
      expect(runtime.audit.ipMode.current()).toBe("hash");
      const changes = (await runtime.audit.records.range(1, 1000))
        .map(rowToEvent)
        .filter((event) => event.action === "settings_changed");
      expect(changes.map((event) => [event.outcome, event.actor.type])).toEqual([
        ...Array<[string, string]>(7).fill(["failure", "console"]),
        ["success", "console"],
      ]);
      expect(changes.at(-1)?.details).toEqual({
        before: { "audit.ipMode": "none" },
        after: { "audit.ipMode": "hash" },
      });
    } finally {
      await runtime.close();
    }
  });
});
