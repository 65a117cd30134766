import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleContext, type AuditEvent } from "../audit/audit-event.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { loadConfig } from "../config/load-config.ts";
import { DomainError } from "../errors/domain-error.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime, type Runtime } from "../runtime.ts";
import type { CliIo } from "./cli-context.ts";
import { registerSettingsCommands } from "./settings-commands.ts";
import { registerUserTwoFactorCommands } from "./user-two-factor-commands.ts";

let root: string;
let env: Record<string, string>;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-settings-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** `package-broker ARGS` with these commands registered, as run-cli.ts registers them. */
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
  registerUserTwoFactorCommands(program.command("user"), io, run);
  try {
    await program.parseAsync(["node", "package-broker", ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = 2;
  }
  return { code, stdout, stderr };
}

async function withTestRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig(env), createLogger({ level: "silent" }));
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

const latest = (event: string, action: string): Promise<AuditEvent | null> =>
  withTestRuntime(async (runtime) => {
    const row = await runtime.audit.records.latestEvent(event, action);
    return row === null ? null : rowToEvent(row);
  });

describe("package-broker settings", () => {
  it("prints every setting, as text or JSON", async () => {
    const text = await cli(["settings", "get"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^security\.requireTwoFactor +false$/m);
    expect(text.stdout).toMatch(/^audit\.retentionDays\.token +365$/m);
    expect(text.stdout).toMatch(/^audit\.legalHold\.active +false$/m);
    const json = await cli(["settings", "get", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      security: { requireTwoFactor: false },
      audit: { retentionDays: { token: 365 }, legalHold: { active: false } },
    });
  });

  it("sets a setting as the console, recorded with before and after", async () => {
    const run = await cli(["settings", "set", "security.requireTwoFactor", "true"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("security.requireTwoFactor = true\n");
    expect(await latest("configuration", "settings_changed")).toMatchObject({
      actor: { type: "console", id: "console", auth_method: "cli" },
      outcome: "success",
      details: {
        before: { "security.requireTwoFactor": false },
        after: { "security.requireTwoFactor": true },
      },
    });
    const json = await cli(["settings", "set", "audit.retentionDays.token", "30", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ audit: { retentionDays: { token: 30 } } });
    expect(await latest("audit", "retention_changed")).toMatchObject({
      actor: { type: "console" },
      details: { changed: { token: { before: 365, after: 30 } } },
    });
    expect((await cli(["settings", "set", "security.requireTwoFactor", "false"])).code).toBe(0);
  });

  it("refuses unknown keys, wrong types and read-only settings (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["security.requireTwoFactor", "maybe"], /security\.requireTwoFactor: .*boolean/],
      [["security.requireTwoFactor", "null"], /security\.requireTwoFactor/],
      [["security.nope", "true"], /security\.nope: unknown setting/],
      [["audit.legalHold.active", "false"], /audit\.legalHold: read-only/],
      [["audit.retentionDays.token", "0"], /audit\.retentionDays\.token/],
      [["__proto__.polluted", "1"], /__proto__: unknown setting/],
      [["security..requireTwoFactor", "true"], /not a setting name/],
      [["security.requireTwoFactor", "{not json"], /not valid JSON/],
      [["security", '{"requireTwoFactor": "yes"}'], /security\.requireTwoFactor/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(["settings", "set", ...args]);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect((await cli(["settings", "set", "security.requireTwoFactor"])).code).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("package-broker user reset-2fa", () => {
  it("resets someone's 2FA and ends their sessions, recorded as the console", async () => {
    const userId = await withTestRuntime(async (runtime) => {
      const trail = auditTrail(runtime.audit.log, consoleContext);
      const user = await runtime.auditedUsers.create(
        { email: "Ada@Example.org", role: "maintainer", password: "a long and unusual passphrase" },
        trail,
      );
      const { secret } = await runtime.twoFactor.beginTotp(user.id);
      const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
      await runtime.twoFactor.confirmTotp(user.id, code, trail);
      return user.id;
    });
    const run = await cli(["user", "reset-2fa", "--email", "ada@example.org", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ user: userId, sessionsEnded: 0 });
    expect(await latest("user", "two_factor_reset")).toMatchObject({
      actor: { type: "console" },
      target: { type: "user", id: userId },
      details: { was_enabled: true, sessions_ended: 0 },
    });
    const again = await cli(["user", "reset-2fa", "--email", "ADA@example.org"]);
    expect(again).toMatchObject({ code: 1 });
    expect(again.stderr).toMatch(/TwoFactorNotEnabled/);
    expect((await cli(["user", "reset-2fa", "--email", "nobody@example.org"])).stderr).toMatch(
      /UserNotFound/,
    );
    expect((await cli(["user", "reset-2fa", "--email", "not an address"])).code).toBe(2);
  });
});
