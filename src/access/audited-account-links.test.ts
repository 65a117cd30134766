import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anonymousActor, consoleContext, type AuditContext, type AuditEvent } from "../audit/audit-event.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { auditTrail, type AuditTrail } from "../audit/audit-trail.ts";
import { ManualClock } from "../clock/clock.ts";
import { loadConfig } from "../config/load-config.ts";
import { createSilentLogger } from "../observability/logger.ts";
import { openRuntime, type Runtime } from "../runtime.ts";

const PASSWORD = "a long and quiet river 42";

/** Someone opening a link in a browser: not signed in. */
const browser: AuditContext = {
  actor: anonymousActor,
  ipAddress: "192.0.2.0/24",
  userAgent: "Firefox",
  requestId: "req_01",
};

function tokenOf(url: string): string {
  return url.slice(url.indexOf("#") + 1);
}

describe("AuditedAccountLinks and AuditedPasswordChanges", () => {
  let root: string;
  let runtime: Runtime;
  let console_: AuditTrail;
  let visitor: AuditTrail;

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-links-audit-"));
    const config = loadConfig({
      PB_DATA_DIR: root,
      PB_DATABASE_URL: "sqlite::memory:",
      PB_BASE_URL: "http://broker.test",
    });
    runtime = await openRuntime(config, createSilentLogger(), new ManualClock("2026-05-01T10:00:00.000Z"));
    console_ = auditTrail(runtime.audit.log, consoleContext);
    visitor = auditTrail(runtime.audit.log, browser);
  });

  afterEach(async () => {
    await runtime.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** The `user` events recorded so far. */
  async function userEvents(): Promise<AuditEvent[]> {
    await runtime.audit.log.flush();
    const rows = await runtime.audit.records.range(1, 10_000);
    return rows.map(rowToEvent).filter((event) => event.event === "user");
  }

  function summary(events: readonly AuditEvent[]): [string, string, string, unknown][] {
    return events.map((event) => [
      event.action,
      event.outcome,
      event.actor.id,
      event.details.code ?? event.severity,
    ]);
  }

  it("records the setup link, the first admin's creation by it, and a refused second setup link", async () => {
    const links = runtime.auditedAccountLinks;
    const setup = await links.createSetupLink(console_);
    await expect(
      links.accept(tokenOf(setup.url), { password: PASSWORD, email: "root" }, visitor),
    ).rejects.toMatchObject({
      code: "InvalidEmail",
    });
    const accepted = await links.accept(
      tokenOf(setup.url),
      { password: PASSWORD, email: "root@example.org" },
      visitor,
    );
    await expect(links.createSetupLink(console_)).rejects.toMatchObject({ code: "AdminExists" });

    const events = await userEvents();
    expect(summary(events)).toEqual([
      ["setup_link_created", "success", "console", "warning"],
      ["setup_completed", "failure", "anonymous", "InvalidEmail"],
      ["setup_completed", "success", accepted.user.id, "warning"],
      ["setup_link_created", "failure", "console", "AdminExists"],
    ]);
    expect(events[0]).toMatchObject({
      target: { type: "account_link", id: setup.link.id },
      details: { expires_at: "2026-05-02T10:00:00.000Z", replaced: [] },
    });
    expect(events[1]).toMatchObject({ target: { type: "account_link", id: setup.link.id } });
    expect(events[2]).toMatchObject({
      actor: { type: "user", id: accepted.user.id, auth_method: "none" },
      ip_address: "192.0.2.0/24",
      user_agent: "Firefox",
      request_id: "req_01",
      target: { type: "user", id: accepted.user.id },
      details: { link: setup.link.id, role: "admin", created_by: null },
    });
    const subjects = await runtime.auditSubjects.find(accepted.user.id);
    expect(subjects[0]).toMatchObject({ email: "root@example.org" });
  });

  it("records invitations: made, replaced, refused, accepted by the new user, used again, revoked", async () => {
    const links = runtime.auditedAccountLinks;
    const first = await links.invite({ email: "eve@example.org", role: "viewer", invitedBy: null }, console_);
    const second = await links.invite({ email: "eve@example.org", role: "admin", invitedBy: null }, console_);
    await expect(links.accept(tokenOf(second.url), { password: "short" }, visitor)).rejects.toMatchObject({
      code: "WeakPassword",
    });
    await expect(links.accept(tokenOf(first.url), { password: PASSWORD }, visitor)).rejects.toMatchObject({
      code: "LinkInvalid",
    });
    const accepted = await links.accept(tokenOf(second.url), { password: PASSWORD }, visitor);
    await expect(links.accept(tokenOf(second.url), { password: PASSWORD }, visitor)).rejects.toMatchObject({
      code: "LinkInvalid",
    });
    await expect(links.accept("x".repeat(10_000), { password: PASSWORD }, visitor)).rejects.toMatchObject({
      code: "LinkInvalid",
    });
    await expect(
      links.invite({ email: "EVE@example.org", role: "viewer", invitedBy: null }, console_),
    ).rejects.toMatchObject({
      code: "UserExists",
    });
    const third = await links.invite(
      { email: "bob@example.org", role: "auditor", invitedBy: accepted.user.id },
      console_,
    );
    await links.revokeInvitation(third.link.id, console_);
    await expect(links.revokeInvitation(third.link.id, console_)).rejects.toMatchObject({
      code: "InvitationClosed",
    });

    const events = await userEvents();
    expect(summary(events)).toEqual([
      ["invited", "success", "console", "info"],
      ["invitation_revoked", "success", "console", "info"],
      ["invited", "success", "console", "warning"],
      ["invitation_accepted", "failure", "anonymous", "WeakPassword"],
      ["invitation_accepted", "failure", "anonymous", "LinkInvalid"],
      ["invitation_accepted", "success", accepted.user.id, "warning"],
      ["invitation_accepted", "failure", "anonymous", "LinkInvalid"],
      ["link_invalid", "failure", "anonymous", "LinkInvalid"],
      ["invited", "failure", "console", "UserExists"],
      ["invited", "success", "console", "info"],
      ["invitation_revoked", "success", "console", "info"],
      ["invitation_revoked", "failure", "console", "InvitationClosed"],
    ]);
    expect(events[0]).toMatchObject({
      target: { type: "account_link", id: first.link.id },
      details: {
        role: "viewer",
        expires_at: "2026-05-08T10:00:00.000Z",
        delivery: "not-configured",
        replaced: [],
      },
    });
    expect(events[1]).toMatchObject({
      target: { type: "account_link", id: first.link.id },
      details: { reason: "replaced", replaced_by: second.link.id },
    });
    expect(events[2]?.details).toMatchObject({ role: "admin", replaced: [first.link.id] });
    expect(events[4]).toMatchObject({
      target: { type: "account_link", id: first.link.id },
      details: { code: "LinkInvalid", reason: "revoked" },
    });
    expect(events[5]).toMatchObject({
      actor: { type: "user", id: accepted.user.id },
      target: { type: "user", id: accepted.user.id },
      details: { link: second.link.id, role: "admin", created_by: null },
    });
    expect(events[6]?.details).toEqual({ code: "LinkInvalid", reason: "used" });
    expect(events[7]).toMatchObject({
      target: { type: "account_link" },
      details: { code: "LinkInvalid", reason: "malformed" },
    });
    expect(events[10]).toMatchObject({ target: { id: third.link.id }, details: { reason: "revoked" } });

    // Never a token, a password or an e-mail address in the log: the address is an audit subject.
    const logged = JSON.stringify(await runtime.audit.records.range(1, 10_000));
    for (const secret of [
      tokenOf(first.url),
      tokenOf(second.url),
      tokenOf(third.url),
      PASSWORD,
      "eve@",
      "bob@",
    ]) {
      expect(logged).not.toContain(secret);
    }
    expect((await runtime.auditSubjects.find(first.link.id))[0]).toMatchObject({ email: "eve@example.org" });
  });

  it("records a password reset asked by an admin and completed by the user, and password changes", async () => {
    const user = await runtime.users.create({
      email: "dana@example.org",
      role: "viewer",
      password: "the first one 2026",
    });
    const reset = await runtime.auditedAccountLinks.requestPasswordReset(
      { userId: user.id, requestedBy: null },
      console_,
    );
    await expect(
      runtime.auditedAccountLinks.requestPasswordReset({ userId: "usr_nobody", requestedBy: null }, console_),
    ).rejects.toMatchObject({ code: "UserNotFound" });
    await runtime.auditedAccountLinks.accept(tokenOf(reset.url), { password: PASSWORD }, visitor);
    const self = auditTrail(runtime.audit.log, {
      ...browser,
      actor: { type: "user", id: user.id, auth_method: "session" },
    });
    await expect(
      runtime.auditedPasswordChanges.changePassword(
        user.id,
        { currentPassword: "the first one 2026", newPassword: "and another one 2026" },
        self,
      ),
    ).rejects.toMatchObject({ code: "WrongCurrentPassword" });
    await runtime.auditedPasswordChanges.changePassword(
      user.id,
      { currentPassword: PASSWORD, newPassword: "and another one 2026" },
      self,
    );

    const events = (await userEvents()).filter((event) => event.action !== "created");
    expect(summary(events)).toEqual([
      ["password_reset_requested", "success", "console", "warning"],
      ["password_reset_requested", "failure", "console", "UserNotFound"],
      ["password_reset_completed", "success", user.id, "info"],
      ["password_changed", "failure", user.id, "WrongCurrentPassword"],
      ["password_changed", "success", user.id, "info"],
    ]);
    expect(events[0]).toMatchObject({
      target: { type: "user", id: user.id },
      details: { link: reset.link.id, expires_at: "2026-05-02T10:00:00.000Z", delivery: "not-configured" },
    });
    expect(events[1]?.target).toEqual({ type: "user" });
    expect(events[2]).toMatchObject({
      target: { type: "user", id: user.id },
      details: { link: reset.link.id, sessions_ended: 0 },
    });
    expect(events[4]).toMatchObject({
      target: { type: "user", id: user.id },
      details: { sessions_ended: 0 },
    });
    const logged = JSON.stringify(await runtime.audit.records.range(1, 10_000));
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain(tokenOf(reset.url));
  });
});
