import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrokerDatabase } from "../../test/support/broker-database-reader.ts";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import { SmtpTestServer } from "../../test/support/smtp-test-server.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { loadConfig } from "../config/load-config.ts";
import { createSilentLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";
import type { AuditRow } from "../storage/database/audit-records.ts";

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[], stdin?: string, extraEnv: Record<string, string> = {}) =>
  runCliCaptured(args, { ...env, ...extraEnv }, stdin === undefined ? {} : { stdin });
const printed: string[] = [];

function tokenOf(url: string): string {
  return url.slice(url.indexOf("#") + 1);
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-user-links-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("package-broker user invite, reset-password, setup-link", () => {
  it("makes a setup link while there is no admin, each replacing the last; it creates the first admin", async () => {
    const first = await cli(["user", "setup-link"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Setup link for the first admin: lnk_\w{26}, works once, until \S+Z\.\n/);
    expect(first.stdout).toMatch(/\nhttp:\/\/broker\.test\/setup#[A-Za-z0-9_-]{43}\n$/);
    const second = await cli(["user", "setup-link", "--json"]);
    const created = JSON.parse(second.stdout) as {
      url: string;
      link: { id: string };
      replaced: { id: string }[];
    };
    expect(created.url).toMatch(/^http:\/\/broker\.test\/setup#[A-Za-z0-9_-]{43}$/);
    expect(created.replaced).toHaveLength(1);
    printed.push(first.stdout, second.stdout);

    const runtime = await openRuntime(loadConfig(env), createSilentLogger());
    try {
      await expect(
        runtime.accountLinks.describe(tokenOf(first.stdout.trim().split("\n").at(-1) ?? "")),
      ).rejects.toMatchObject({
        code: "LinkInvalid",
      });
      await runtime.accountLinks.accept(tokenOf(created.url), {
        email: "root@example.com",
        password: "correct horse battery staple 42",
      });
    } finally {
      await runtime.close();
    }
    const refused = await cli(["user", "setup-link"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "error: an administrator exists already: sign in, or ask an administrator for an invitation [AdminExists]\n",
    );
  });

  it("invites, prints the link whether or not e-mail is set up, and lists and revokes invitations", async () => {
    const run = await cli(["user", "invite", "--email", "Eve@Example.com", "--role", "maintainer"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^Invited eve@example\.com as maintainer: lnk_\w{26}, works once, until \S+Z\.$/,
    );
    expect(lines[1]).toBe("E-mail is not configured (PB_SMTP_URL): give them this link yourself.");
    expect(lines[2]).toMatch(/^http:\/\/broker\.test\/invite#[A-Za-z0-9_-]{43}$/);
    printed.push(run.stdout);

    const json = await cli(["user", "invite", "--email", "bob@example.com", "--role", "viewer", "--json"]);
    const bob = JSON.parse(json.stdout) as {
      link: { id: string; status: string };
      delivery: unknown;
      url: string;
    };
    expect(bob.link.status).toBe("open");
    expect(bob.delivery).toEqual({ status: "not-configured" });
    printed.push(json.stdout);

    const list = await cli(["user", "invitations"]);
    expect(list.stdout).toMatch(/^ID\s+E-MAIL\s+ROLE\s+EXPIRES\n/);
    expect(list.stdout).toMatch(/eve@example\.com\s+maintainer/);
    expect(list.stdout).not.toContain("#");
    const revoked = await cli(["user", "revoke-invitation", bob.link.id]);
    expect(revoked.stdout).toBe(`Revoked the invitation ${bob.link.id} for bob@example.com\n`);
    const again = await cli(["user", "revoke-invitation", bob.link.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/this invitation was revoked already \[InvitationClosed\]/);
    const listed = JSON.parse((await cli(["user", "invitations", "--json"])).stdout) as { email: string }[];
    expect(listed.map((link) => link.email)).toEqual(["eve@example.com"]);
  });

  it.each([
    [["--email", "ROOT@example.com", "--role", "viewer"], 1, /already exists \[UserExists\]/],
    [["--email", "not-an-address", "--role", "viewer"], 2, /\[InvalidEmail\]/],
    [["--email", "x@example.com", "--role", "root"], 2, /unknown role "root"/],
    [["--email", "x@example.com"], 2, /required option '--role <role>' not specified/],
  ])("refuses to invite with %j", async (args, code, message) => {
    const run = await cli(["user", "invite", ...args]);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("makes a password reset link by e-mail address or id, and refuses an unclear or unknown user", async () => {
    const list = JSON.parse((await cli(["user", "list", "--json"])).stdout) as {
      id: string;
      email: string;
    }[];
    const root = list.find((user) => user.email === "root@example.com");
    const byEmail = await cli(["user", "reset-password", "--email", "ROOT@example.com"]);
    expect(byEmail.code).toBe(0);
    expect(byEmail.stdout).toMatch(
      new RegExp(`^Password reset for root@example\\.com \\(${root?.id ?? "?"}\\): lnk_`),
    );
    expect(byEmail.stdout).toMatch(/\nhttp:\/\/broker\.test\/reset-password#[A-Za-z0-9_-]{43}\n$/);
    const byId = JSON.parse(
      (await cli(["user", "reset-password", "--id", root?.id ?? "", "--json"])).stdout,
    ) as {
      replaced: unknown[];
      link: { userId: string };
    };
    expect(byId.link.userId).toBe(root?.id);
    expect(byId.replaced).toHaveLength(1);
    printed.push(byEmail.stdout);

    for (const [args, code, message] of [
      [[], 2, /give either --email or --id \[UserReferenceRequired\]/],
      [["--email", "root@example.com", "--id", root?.id ?? ""], 2, /give either --email or --id/],
      [["--email", "nobody@example.com"], 1, /no user has this e-mail address \[UserNotFound\]/],
      [["--id", "usr_nobody"], 1, /no user has this id \[UserNotFound\]/],
      [["--email", "x".repeat(10_000)], 2, /\[InvalidEmail\]/],
    ] as const) {
      const run = await cli(["user", "reset-password", ...args]);
      expect(run.code, args.join(" ")).toBe(code);
      expect(run.stderr).toMatch(message);
    }
  });

  it("e-mails invitations when PB_SMTP_URL is set, and prints the link when the e-mail fails", async () => {
    const server = await SmtpTestServer.start();
    try {
      const smtp = { PB_SMTP_URL: server.url(), PB_SMTP_FROM: "broker@example.com" };
      const sent = await cli(
        ["user", "invite", "--email", "carol@example.com", "--role", "auditor"],
        undefined,
        smtp,
      );
      expect(sent.code).toBe(0);
      expect(sent.stdout).toContain("\nE-mailed to carol@example.com.\n");
      const url = sent.stdout.trim().split("\n").at(-1) ?? "";
      expect(server.messages.map((mail) => [mail.to, mail.subject])).toEqual([
        ["carol@example.com", "You are invited to PACKAGE.broker"],
      ]);
      expect(server.messages[0]?.text).toContain(url);
      printed.push(sent.stdout);
    } finally {
      await server.stop();
    }
    const refusing = await SmtpTestServer.start({ refuseRecipients: true });
    try {
      const smtp = { PB_SMTP_URL: refusing.url(), PB_SMTP_FROM: "broker@example.com" };
      const failed = await cli(
        ["user", "invite", "--email", "dave@example.com", "--role", "viewer"],
        undefined,
        smtp,
      );
      expect(failed.code).toBe(0);
      expect(failed.stderr).toMatch(/"message":"E-mail not sent"/);
      expect(failed.stdout).toMatch(
        /\nThe e-mail could not be sent \(.*550.*\): give them this link yourself\.\n/,
      );
      expect(failed.stdout).toMatch(/\nhttp:\/\/broker\.test\/invite#[A-Za-z0-9_-]{43}\n$/);
      printed.push(failed.stdout);
    } finally {
      await refusing.stop();
    }
  });

  it("records every link in the audit log by id, never a token or an e-mail address", async () => {
    const reader = await openBrokerDatabase("sqlite", env);
    try {
      const rows = await reader.rows<AuditRow>("select * from audit_logs order by seq");
      const events = rows.map(rowToEvent).filter((event) => event.event === "user");
      expect(events.map((event) => `${event.action} ${event.outcome}`)).toEqual([
        "setup_link_created success",
        "setup_link_created success",
        "setup_link_created failure",
        "invited success",
        "invited success",
        "invitation_revoked success",
        "invitation_revoked failure",
        "invited failure",
        "invited failure",
        "invited failure",
        "password_reset_requested success",
        "password_reset_requested success",
        "password_reset_requested failure",
        "password_reset_requested failure",
        "password_reset_requested failure",
        "invited success",
        "invited success",
      ]);
      expect(
        events.filter((e) => e.action !== "setup_completed").every((e) => e.actor.type === "console"),
      ).toBe(true);
      expect(events.at(-1)?.details).toMatchObject({ delivery: "failed" });
      expect(events.at(-2)?.details).toMatchObject({ delivery: "sent" });
      const logged = JSON.stringify(rows);
      for (const output of printed) {
        for (const match of output.matchAll(/#([A-Za-z0-9_-]{43})/g)) expect(logged).not.toContain(match[1]);
      }
      expect(logged).not.toMatch(/(eve|bob|carol|dave|root)@example/i);
    } finally {
      await reader.close();
    }
  });
});
