import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrokerDatabase } from "../../test/support/broker-database-reader.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import type { AuditRow } from "../storage/database/audit-records.ts";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[], stdin?: string) =>
  runCliCaptured(args, env, stdin === undefined ? {} : { stdin });

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-user-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("package-broker user", () => {
  it("creates the first admin with a password read from stdin, and lists them", async () => {
    const run = await cli(
      [
        "user",
        "create",
        "--email",
        " Alice@Example.COM ",
        "--role",
        "admin",
        "--name",
        "Alice",
        "--password-stdin",
        "--json",
      ],
      "correct horse battery staple 42\n",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(created).toMatchObject({
      email: "alice@example.com",
      name: "Alice",
      role: "admin",
      status: "active",
      passwordSet: true,
      twoFactor: false,
    });
    expect(created.id).toMatch(/^usr_[0-9A-Z]{26}$/);

    const list = await cli(["user", "list", "--json"]);
    const users = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(users).toEqual([created]);
    expect(list.stdout).not.toMatch(/scrypt|hash|secret/i);
    expect((await cli(["user", "list"])).stdout).toMatch(/alice@example\.com\s+admin\s+active\s+off/);
  });

  it("creates a user without a password, and says how they get one", async () => {
    const run = await cli(["user", "create", "--email", "victor@example.com", "--role", "viewer"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Created user usr_\w+ <victor@example\.com> with role viewer/);
    expect(run.stdout).toMatch(/No password set/);
  });

  it.each([
    [["--email", "ALICE@example.com", "--role", "viewer"], undefined, /already exists/],
    [["--email", "not-an-address", "--role", "viewer"], undefined, /not an e-mail address/],
    [
      ["--email", "bob@example.com", "--role", "root"],
      undefined,
      /unknown role "root"; the roles are admin, maintainer, auditor, viewer/,
    ],
    [["--email", "bob@example.com", "--role", "viewer", "--password-stdin"], "", /read no password/],
    [["--email", "bob@example.com", "--role", "viewer", "--password-stdin"], "short\n", /at least 12/],
    [
      ["--email", "bob@example.com", "--role", "viewer", "--name", "a\u0007b"],
      undefined,
      /control characters/,
    ],
  ])("refuses %j clearly, and creates nobody", async (args, stdin, message) => {
    const before = (JSON.parse((await cli(["user", "list", "--json"])).stdout) as unknown[]).length;
    const run = await cli(["user", "create", ...args], stdin);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(JSON.parse((await cli(["user", "list", "--json"])).stdout)).toHaveLength(before);
  });

  it("records each creation and each refusal by the service, with the user's id but never the e-mail address", async () => {
    const reader = await openBrokerDatabase("sqlite", env);
    try {
      const rows = await reader.rows<AuditRow>("select * from audit_logs order by seq");
      const events = rows.map(rowToEvent).filter((event) => event.event === "user");
      expect(events.map((event) => [event.action, event.outcome])).toEqual([
        ["created", "success"],
        ["created", "success"],
        // Five refusals by the service; the empty stdin never reached it (nothing was opened).
        ["created", "failure"],
        ["created", "failure"],
        ["created", "failure"],
        ["created", "failure"],
        ["created", "failure"],
      ]);
      expect(events[0]).toMatchObject({
        actor: { type: "console" },
        target: { type: "user", id: expect.stringMatching(/^usr_/) as unknown },
        details: { after: { role: "admin", status: "active", password_set: true } },
      });
      expect(events[2]).toMatchObject({ details: { code: "UserExists" } });
      expect(JSON.stringify(rows)).not.toMatch(/alice@example|victor@example/i);
    } finally {
      await reader.close();
    }
  });
});
