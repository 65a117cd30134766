import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrokerDatabase } from "../../test/support/broker-database-reader.ts";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { AuditRow } from "../storage/database/audit-records.ts";
import type { CliIo } from "./cli-context.ts";
import { registerUserDeleteCommand } from "./user-delete-command.ts";

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

/** `package-broker user delete ARGS` on a program of its own (the command's registration alone). */
async function userDelete(args: readonly string[]): Promise<{ stdout: string; error: unknown }> {
  let stdout = "";
  let error: unknown = null;
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => undefined,
    env,
    isTerminal: false,
  };
  const program = new Command("package-broker").exitOverride().configureOutput({ writeErr: () => undefined });
  const user = program.command("user");
  registerUserDeleteCommand(user, io, async (work) => {
    try {
      await work();
    } catch (caught) {
      error = caught;
    }
  });
  try {
    await program.parseAsync(["user", "delete", ...args], { from: "user" });
  } catch (caught) {
    if (!(caught instanceof CommanderError)) throw caught;
    error = caught;
  }
  return { stdout, error };
}

async function createUser(email: string, role: string): Promise<{ id: string }> {
  const run = await cli(["user", "create", "--email", email, "--role", role, "--json"]);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as { id: string };
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-user-delete-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("package-broker user delete", () => {
  it("deletes by e-mail address or id, revokes the user's tokens, and records it", async () => {
    const admin = await createUser("root@example.com", "admin");
    const dana = await createUser("dana@example.com", "maintainer");
    const token = await cli(["token", "create", "--description", "laptop", "--user", dana.id, "--json"]);
    expect(token.code).toBe(0);

    const byEmail = await userDelete(["--email", "DANA@example.com", "--json"]);
    expect(byEmail.error).toBeNull();
    expect(JSON.parse(byEmail.stdout)).toMatchObject({
      user: { id: dana.id, email: "dana@example.com", role: "maintainer" },
      revokedTokens: 1,
      endedSessions: 0,
    });
    const listed = JSON.parse((await cli(["user", "list", "--json"])).stdout) as { id: string }[];
    expect(listed.map((user) => user.id)).toEqual([admin.id]);
    const tokens = JSON.parse((await cli(["token", "list", "--user", dana.id, "--json"])).stdout) as {
      revokedAt: string | null;
    }[];
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.revokedAt).not.toBeNull();

    const victor = await createUser("victor@example.com", "viewer");
    const byId = await userDelete(["--id", victor.id]);
    expect(byId.error).toBeNull();
    expect(byId.stdout).toBe(
      `Deleted user ${victor.id} <victor@example.com> (viewer)\nRevoked tokens: 0; ended sessions: 0\n`,
    );
  });

  it("refuses the last active admin, an unknown user, and a call naming no user or both", async () => {
    const lastAdmin = await userDelete(["--email", "root@example.com"]);
    expect(lastAdmin.error).toBeInstanceOf(DomainError);
    expect(lastAdmin.error).toMatchObject({ code: "LastAdmin" });
    expect(await userDelete(["--email", "nobody@example.com"])).toMatchObject({
      error: { code: "UserNotFound" },
    });
    for (const args of [[], ["--email", "a@example.com", "--id", "usr_1"], ["--id", "a@example.com"]]) {
      const run = await userDelete(args);
      expect(run.error).toBeInstanceOf(DomainError);
      expect(run.error).toMatchObject({ kind: "invalid" });
    }
  });

  it("records each deletion, and each refusal by the service, as a user event", async () => {
    const reader = await openBrokerDatabase("sqlite", env);
    try {
      const rows = await reader.rows<AuditRow>("select * from audit_logs order by seq");
      const deletions = rows
        .map(rowToEvent)
        .filter((event) => event.event === "user" && event.action === "deleted");
      expect(deletions.map((event) => [event.outcome, event.severity])).toEqual([
        ["success", "warning"],
        ["success", "warning"],
        ["failure", "warning"],
      ]);
      expect(deletions[0]).toMatchObject({
        actor: { type: "console" },
        target: { type: "user", id: expect.stringMatching(/^usr_/) as unknown },
        details: { before: { role: "maintainer", status: "active" }, revoked_tokens: 1, ended_sessions: 0 },
      });
      expect(deletions[2]).toMatchObject({ details: { code: "LastAdmin" } });
      expect(JSON.stringify(deletions)).not.toMatch(/@example\.com/);
    } finally {
      await reader.close();
    }
  });
});
