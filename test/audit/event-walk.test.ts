import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateToken, hashToken, tokenFingerprint } from "../../src/access/token-format.ts";
import type { AuditEvent } from "../../src/audit/audit-event.ts";
import { ACCEPTANCE_WINDOW_MS } from "../../src/audit/request-auditing.ts";
import { startServer } from "../../src/cli/serve-command.ts";
import { loadConfig } from "../../src/config/load-config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { AuditRecords, type AuditRow } from "../../src/storage/database/audit-records.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { GitFixture } from "../builders/git-fixture.ts";
import { packageZip, TestRuntime, type TestToken } from "../builders/test-runtime.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";
import { runCliCaptured } from "../support/run-cli-captured.ts";

/**
 * Walks every action of the product that the audit log records, over HTTP (in-process), through
 * the CLI and through `serve`, and checks the event each one leaves: category, action, outcome,
 * actor, target, details. Every stored event is validated against schemas/audit-event.v1.json, and
 * no stored row may contain a token's secret (or its hash): tokens appear as fingerprints.
 */

const USER_AGENT = "Composer/2.5.5 (Linux; 6.1; PHP 8.2.7; cURL 7.88.1)";

/** Every stored row as stored (all columns), and its events validated against the schema. */
async function readLog(records: AuditRecords): Promise<{ rows: AuditRow[]; events: AuditEvent[] }> {
  const rows: AuditRow[] = [];
  for await (const row of records.scan()) rows.push(row);
  return { rows, events: await storedAuditEvents(records) };
}

/** No secret, nor the SHA-256 the database keeps of it, appears in any column of any row. */
function expectNoSecrets(rows: readonly AuditRow[], secrets: readonly string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  const stored = rows.map((row) => JSON.stringify(row)).join("\n");
  for (const secret of secrets) {
    expect(secret).toMatch(/^pb_/);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice(3));
    expect(stored).not.toContain(hashToken(secret));
  }
}

const tokenActor = (token: { fingerprint: string }, method: "basic" | "bearer" = "basic") => ({
  type: "token",
  id: token.fingerprint,
  auth_method: method,
});
const consoleActor = { type: "console", id: "console", auth_method: "cli" };
const systemActor = { type: "system", id: "system", auth_method: "none" };

describe("the event walk over HTTP", () => {
  let t: TestRuntime;
  let admin: TestToken;
  let writer: TestToken;
  let reader: TestToken;
  /** May see other/* only. */
  let outsider: TestToken;
  let fixture: GitFixture;
  const secrets: string[] = [];

  beforeAll(async () => {
    t = await TestRuntime.start();
    admin = await t.createToken({ scopes: ["admin"], description: "admin" });
    writer = await t.createToken({ scopes: ["write"], description: "writer" });
    reader = await t.createToken({ scopes: ["read"], description: "reader" });
    outsider = await t.createToken({ scopes: ["write"], packages: ["other/*"], description: "outsider" });
    secrets.push(admin.token, writer.token, reader.token, outsider.token);
    fixture = new GitFixture(path.join(t.root, "src", "gadgets"));
    fixture.commit({ "composer.json": { name: "acme/gadgets", description: "Gadgets" } });
    fixture.tag("v1.0.0");
    fixture.commit({ "src/Gadget.php": "<?php\n" });
    fixture.tag("v1.1.0");
  });

  afterAll(async () => {
    // Checked once more over the whole log: every event the walk produced.
    const { rows, events } = await readLog(t.runtime.audit.records);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expectNoSecrets(rows, secrets);
    await t.cleanup();
  });

  /** The events a response's request left, in order, each validated against the schema. */
  async function eventsOf(response: Response): Promise<AuditEvent[]> {
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^req_/);
    const events = await storedAuditEvents(t.runtime.audit.records);
    return events.filter((event) => event.request_id === requestId);
  }

  /** Like eventsOf, without the token_accepted a token's first request in a window adds. */
  async function actionEventsOf(response: Response): Promise<AuditEvent[]> {
    return (await eventsOf(response)).filter((event) => event.action !== "token_accepted");
  }

  const get = (url: string, token?: TestToken, headers: Record<string, string> = {}) =>
    t.request(url, {
      headers: { "user-agent": USER_AGENT, ...headers },
      ...(token === undefined ? {} : { token: token.token }),
    });

  it("records the runtime's own start: the checkpoint key, then the migrations", async () => {
    const events = await storedAuditEvents(t.runtime.audit.records);
    expect(events.slice(0, 2)).toMatchObject([
      {
        seq: 1,
        event: "audit",
        action: "checkpoint_key_created",
        outcome: "success",
        severity: "warning",
        user: "system",
        actor: systemActor,
        ip_address: null,
        user_agent: null,
        request_id: null,
        target: { type: "signing_key", id: t.runtime.audit.verifierKey },
        details: { origin: t.runtime.audit.origin, source: "file" },
      },
      {
        seq: 2,
        event: "system",
        action: "migrated",
        outcome: "success",
        actor: systemActor,
        target: { type: "database", name: "sqlite" },
        details: {
          applied: [
            "0001-initial",
            "0002-audit-log",
            "0003-audit-search",
            "0004-retention",
            "0005-audit-privacy",
            "0006-audit-search-index",
            "0007-users",
            "0008-composer-proxy",
            "0009-proxy-conflict-time",
            "0010-audit-sinks",
            "0011-composer-eager",
            "0012-alerts",
            "0013-job-runs",
            "0014-sync-progress",
          ],
        },
      },
    ]);
  });

  describe("authentication", () => {
    it("credentials_missing", async () => {
      const response = await get("/packages.json");
      expect(response.status).toBe(401);
      expect(await eventsOf(response)).toMatchObject([
        {
          event: "authentication",
          action: "credentials_missing",
          outcome: "failure",
          severity: "info",
          user: "anonymous",
          actor: { type: "anonymous", id: "anonymous", auth_method: "none" },
          ip_address: null,
          user_agent: USER_AGENT,
          target: null,
          details: { code: "AuthenticationRequired" },
        },
      ]);
    });

    it("credentials_malformed", async () => {
      for (const [header, method] of [
        ["Basic !!!not-base64", "basic"],
        [`Basic ${Buffer.from("no-colon").toString("base64")}`, "basic"],
        ["Bearer two words", "bearer"],
      ] as const) {
        const response = await get("/packages.json", undefined, { authorization: header });
        expect(response.status).toBe(401);
        expect(await eventsOf(response), header).toMatchObject([
          {
            event: "authentication",
            action: "credentials_malformed",
            outcome: "failure",
            actor: { type: "anonymous", id: "anonymous", auth_method: method },
            target: null,
            details: { code: "MalformedAuthorization" },
          },
        ]);
      }
    });

    it("token_invalid: an unknown token is named by its fingerprint, garbage by a placeholder", async () => {
      const unknown = generateToken();
      secrets.push(unknown);
      const response = await t.request("/packages.json", { token: unknown, scheme: "bearer" });
      expect(response.status).toBe(401);
      expect(await eventsOf(response)).toMatchObject([
        {
          event: "authentication",
          action: "token_invalid",
          outcome: "failure",
          user: tokenFingerprint(unknown),
          actor: { type: "token", id: tokenFingerprint(unknown), auth_method: "bearer" },
          target: null,
          details: { code: "InvalidToken" },
        },
      ]);
      const garbage = await t.request("/packages.json", { token: "pb_hunter2-not-a-token" });
      expect(await eventsOf(garbage)).toMatchObject([
        { action: "token_invalid", actor: { type: "token", id: "pb_????…????", auth_method: "basic" } },
      ]);
      const { rows } = await readLog(t.runtime.audit.records);
      expect(JSON.stringify(rows)).not.toContain("hunter2");
    });

    it("token_expired", async () => {
      const expiring = await t.createToken({ expiresAt: new Date(t.clock.now().getTime() + 3_600_000) });
      secrets.push(expiring.token);
      t.clock.advance(2 * 3_600_000);
      const response = await get("/packages.json", expiring);
      expect(response.status).toBe(403);
      expect(await eventsOf(response)).toMatchObject([
        {
          event: "authentication",
          action: "token_expired",
          outcome: "denied",
          severity: "warning",
          user: expiring.fingerprint,
          actor: tokenActor(expiring),
          target: null,
          details: { code: "TokenExpired", reason: expect.stringContaining("expired") as unknown },
        },
      ]);
    });

    it("token_revoked", async () => {
      const revoked = await t.createToken();
      secrets.push(revoked.token);
      await t.runtime.tokens.revoke(revoked.id);
      const response = await get("/packages.json", revoked);
      expect(response.status).toBe(403);
      expect(await eventsOf(response)).toMatchObject([
        {
          event: "authentication",
          action: "token_revoked",
          outcome: "denied",
          severity: "warning",
          actor: tokenActor(revoked),
          details: { code: "TokenRevoked" },
        },
      ]);
    });

    it("scope_denied", async () => {
      const response = await t.request("/api/tokens", {
        method: "POST",
        token: reader.token,
        body: { description: "not allowed" },
      });
      expect(response.status).toBe(403);
      expect(await eventsOf(response)).toMatchObject([
        {
          event: "authentication",
          action: "scope_denied",
          outcome: "denied",
          severity: "warning",
          actor: tokenActor(reader),
          details: { code: "InsufficientScope", required_scope: "admin" },
        },
      ]);
    });

    it("token_accepted: once per token and address per window", async () => {
      const fresh = await t.createToken({ scopes: ["read"] });
      secrets.push(fresh.token);
      const first = await get("/packages.json", fresh);
      expect(first.status).toBe(200);
      const [accepted] = (await eventsOf(first)).filter((event) => event.event === "authentication");
      expect(accepted).toMatchObject({
        action: "token_accepted",
        outcome: "success",
        severity: "info",
        actor: tokenActor(fresh),
        target: { type: "token", id: fresh.id, name: fresh.fingerprint },
        details: { scopes: ["read"] },
      });
      const again = await get("/packages.json", fresh);
      expect((await eventsOf(again)).map((event) => event.action)).toEqual(["packages_json"]);
      t.clock.advance(ACCEPTANCE_WINDOW_MS - 1);
      const stillInWindow = await get("/packages.json", fresh);
      expect((await eventsOf(stillInWindow)).map((event) => event.action)).toEqual(["packages_json"]);
      t.clock.advance(1);
      const nextWindow = await get("/packages.json", fresh);
      expect((await eventsOf(nextWindow)).map((event) => event.action)).toEqual([
        "token_accepted",
        "packages_json",
      ]);
    });
  });

  describe("package and package_access", () => {
    let distPath: string;

    it("package uploaded", async () => {
      const response = await t.upload(packageZip("acme/widget", "1.0.0"), writer.token);
      expect(response.status).toBe(201);
      const uploaded = (await response.json()) as { distSha1: string; distSha256: string; size: number };
      expect(await actionEventsOf(response)).toMatchObject([
        {
          event: "package",
          action: "uploaded",
          outcome: "success",
          severity: "info",
          user: writer.fingerprint,
          actor: tokenActor(writer),
          target: { type: "package", name: "acme/widget", version: "1.0.0" },
          details: {
            version_normalized: "1.0.0.0",
            sha1: uploaded.distSha1,
            sha256: uploaded.distSha256,
            size: uploaded.size,
            created: true,
          },
        },
      ]);
    });

    it("package upload_rejected: an invalid archive (failure), a package the token may not publish (denied)", async () => {
      const invalid = await t.upload(Buffer.from("this is not a zip"), writer.token);
      expect(invalid.status).toBe(400);
      expect(await actionEventsOf(invalid)).toMatchObject([
        {
          event: "package",
          action: "upload_rejected",
          outcome: "failure",
          severity: "warning",
          actor: tokenActor(writer),
          target: null,
          details: { code: "InvalidArchive", size: 17 },
        },
      ]);
      const foreign = await t.upload(packageZip("acme/foreign", "1.0.0"), outsider.token);
      expect(foreign.status).toBe(403);
      expect(await actionEventsOf(foreign)).toMatchObject([
        {
          event: "package",
          action: "upload_rejected",
          outcome: "denied",
          actor: tokenActor(outsider),
          details: { code: "PackageNotAllowed" },
        },
      ]);
    });

    it("package_access packages_json", async () => {
      const response = await get("/packages.json", reader);
      expect(response.status).toBe(200);
      expect(await actionEventsOf(response)).toMatchObject([
        {
          event: "package_access",
          action: "packages_json",
          outcome: "success",
          severity: "info",
          user: reader.fingerprint,
          actor: tokenActor(reader),
          user_agent: USER_AGENT,
          target: null,
          details: { status: 200 },
        },
      ]);
    });

    it("package_access metadata: success, denied, failure (404)", async () => {
      const ok = await get("/p2/acme/widget.json", reader);
      expect(ok.status).toBe(200);
      const document = (await ok.json()) as { packages: Record<string, { dist: { url: string } }[]> };
      distPath = new URL(document.packages["acme/widget"]?.[0]?.dist.url ?? "").pathname;
      expect(await actionEventsOf(ok)).toMatchObject([
        {
          event: "package_access",
          action: "metadata",
          outcome: "success",
          actor: tokenActor(reader),
          target: { type: "package", name: "acme/widget" },
          details: { status: 200, dev: false },
        },
      ]);

      const dev = await get("/p2/acme/widget~dev.json", reader);
      expect(await actionEventsOf(dev)).toMatchObject([
        { action: "metadata", target: { type: "package", name: "acme/widget" }, details: { dev: true } },
      ]);

      const denied = await get("/p2/acme/widget.json", outsider);
      expect(denied.status).toBe(403);
      expect(await actionEventsOf(denied)).toMatchObject([
        {
          event: "package_access",
          action: "metadata",
          outcome: "denied",
          severity: "warning",
          actor: tokenActor(outsider),
          target: { type: "package", name: "acme/widget" },
          details: { status: 403, code: "PackageNotAllowed" },
        },
      ]);

      const missing = await get("/p2/acme/missing.json", reader);
      expect(missing.status).toBe(404);
      expect(await actionEventsOf(missing)).toMatchObject([
        {
          event: "package_access",
          action: "metadata",
          outcome: "failure",
          severity: "warning",
          target: { type: "package", name: "acme/missing" },
          details: { status: 404, code: "PackageNotFound" },
        },
      ]);
    });

    it("package_access download and download_denied", async () => {
      const [, , vendor, project, version, file] = distPath.split("/");
      expect(`${vendor ?? ""}/${project ?? ""}`).toBe("acme/widget");
      const response = await get(distPath, reader);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      expect(await actionEventsOf(response)).toMatchObject([
        {
          event: "package_access",
          action: "download",
          outcome: "success",
          actor: tokenActor(reader),
          target: { type: "package", name: "acme/widget", version: decodeURIComponent(version ?? "") },
          details: { status: 200, reference: file?.replace(/\.zip$/, "") },
        },
      ]);
      const denied = await get(distPath, outsider);
      expect(denied.status).toBe(403);
      expect(await actionEventsOf(denied)).toMatchObject([
        {
          event: "package_access",
          action: "download_denied",
          outcome: "denied",
          actor: tokenActor(outsider),
          target: { type: "package", name: "acme/widget" },
          details: { status: 403, code: "PackageNotAllowed" },
        },
      ]);
    });

    it("package_access install_notification", async () => {
      const response = await t.request("/downloads", {
        method: "POST",
        token: reader.token,
        body: {
          downloads: [
            { name: "acme/widget", version: "1.0.0.0" },
            { name: "acme/unknown", version: "1.0.0.0" },
          ],
        },
      });
      expect(response.status).toBe(200);
      expect(await actionEventsOf(response)).toMatchObject([
        {
          event: "package_access",
          action: "install_notification",
          outcome: "success",
          actor: tokenActor(reader),
          target: null,
          details: {
            counted: 1,
            ignored: 1,
            downloads: [
              { name: "acme/widget", version: "1.0.0.0" },
              { name: "acme/unknown", version: "1.0.0.0" },
            ],
          },
        },
      ]);
    });

    it("package deleted (DELETE /api/packages/{vendor}/{name}/versions/{version})", async () => {
      const response = await t.request("/api/packages/acme/widget/versions/1.0.0", {
        method: "DELETE",
        token: admin.token,
      });
      expect(response.status).toBe(200);
      expect(await actionEventsOf(response)).toMatchObject([
        {
          event: "package",
          action: "deleted",
          outcome: "success",
          severity: "warning",
          actor: tokenActor(admin),
          target: { type: "package", name: "acme/widget", version: "1.0.0" },
          details: {
            version_normalized: "1.0.0.0",
            sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
          },
        },
      ]);
    });
  });

  describe("token", () => {
    it("created, updated, revoked: the fingerprint, never the secret", async () => {
      const created = await t.request("/api/tokens", {
        method: "POST",
        token: admin.token,
        body: { description: "ci", scopes: ["read"], packages: ["acme/*"] },
      });
      expect(created.status).toBe(201);
      const token = (await created.json()) as { id: string; fingerprint: string; token: string };
      secrets.push(token.token);
      const target = { type: "token", id: token.id, name: token.fingerprint };
      expect(await actionEventsOf(created)).toMatchObject([
        {
          event: "token",
          action: "created",
          outcome: "success",
          severity: "info",
          actor: tokenActor(admin),
          target,
          details: { after: { description: "ci", scopes: ["read"], packages: ["acme/*"], expires_at: null } },
        },
      ]);

      const updated = await t.request(`/api/tokens/${token.id}`, {
        method: "PATCH",
        token: admin.token,
        body: { description: "ci (deploy)", scopes: ["write"] },
      });
      expect(updated.status).toBe(200);
      expect(await actionEventsOf(updated)).toMatchObject([
        {
          event: "token",
          action: "updated",
          outcome: "success",
          actor: tokenActor(admin),
          target,
          details: {
            before: { description: "ci", scopes: ["read"], packages: ["acme/*"], expires_at: null },
            after: { description: "ci (deploy)", scopes: ["write"], packages: ["acme/*"], expires_at: null },
          },
        },
      ]);

      const revoked = await t.request(`/api/tokens/${token.id}`, { method: "DELETE", token: admin.token });
      expect(revoked.status).toBe(200);
      expect(await actionEventsOf(revoked)).toMatchObject([
        {
          event: "token",
          action: "revoked",
          outcome: "success",
          severity: "warning",
          actor: tokenActor(admin),
          target,
          details: { revoked_at: t.clock.now().toISOString() },
        },
      ]);
    });
  });

  describe("audit: search, export, retention", () => {
    it("searched and exported, also when refused", async () => {
      const searched = await get("/api/audit/events?q=event%3Atoken&limit=2", admin);
      expect(searched.status).toBe(200);
      expect(await actionEventsOf(searched)).toMatchObject([
        {
          event: "audit",
          action: "searched",
          outcome: "success",
          actor: tokenActor(admin),
          target: { type: "audit_log" },
          details: { query: "event:token", limit: 2, order: "desc", cursor: null },
        },
      ]);
      const refused = await get("/api/audit/events?q=nope%3A1", admin);
      expect(refused.status).toBe(400);
      expect(await actionEventsOf(refused)).toMatchObject([
        { action: "searched", outcome: "failure", details: { query: "nope:1", code: "InvalidQuery" } },
      ]);
      const exported = await get("/api/audit/export?format=csv&q=event%3Atoken", admin);
      expect(exported.status).toBe(200);
      await exported.text();
      expect(await actionEventsOf(exported)).toMatchObject([
        {
          action: "exported",
          outcome: "success",
          details: { format: "csv", query: "event:token", events: expect.any(Number) as unknown },
        },
      ]);
    });

    it("retention_changed, legal_hold_placed, retention_purged (denied), legal_hold_released, retention_purged", async () => {
      const send = (path: string, method: string, body?: object) =>
        t.request(`/api/audit/retention${path}`, {
          method,
          token: admin.token,
          headers: { "user-agent": USER_AGENT },
          ...(body === undefined ? {} : { body }),
        });
      const audit = (action: string, extra: object = {}) => ({
        event: "audit",
        action,
        actor: tokenActor(admin),
        target: { type: "audit_retention" },
        ...extra,
      });
      expect(await actionEventsOf(await send("", "PUT", { days: { system: 3650 } }))).toMatchObject([
        audit("retention_changed", {
          severity: "warning",
          details: { changed: { system: { before: 365, after: 3650 } } },
        }),
      ]);
      expect(await actionEventsOf(await send("/legal-hold", "POST", { reason: "case 7" }))).toMatchObject([
        audit("legal_hold_placed", { details: { reason: "case 7" } }),
      ]);
      expect(await actionEventsOf(await send("/purge", "POST"))).toMatchObject([
        audit("retention_purged", {
          outcome: "denied",
          details: { trigger: "manual", code: "LegalHoldActive" },
        }),
      ]);
      expect(await actionEventsOf(await send("/legal-hold", "DELETE"))).toMatchObject([
        audit("legal_hold_released", { details: { reason: "case 7" } }),
      ]);
      expect(await actionEventsOf(await send("/purge", "POST"))).toMatchObject([
        audit("retention_purged", {
          outcome: "success",
          details: { trigger: "manual", purged: 0, categories: [] },
        }),
      ]);
    });
  });

  describe("repository", () => {
    let repositoryId: string;

    const sync = async (id: string, expectedStatus = 200): Promise<AuditEvent[]> => {
      const response = await t.request(`/api/repositories/${id}/sync`, {
        method: "POST",
        token: writer.token,
      });
      expect(response.status, await response.clone().text()).toBe(expectedStatus);
      return actionEventsOf(response);
    };

    it("added", async () => {
      const response = await t.request("/api/repositories", {
        method: "POST",
        token: admin.token,
        body: { url: fixture.dir, name: "gadgets" },
      });
      expect(response.status).toBe(201);
      repositoryId = ((await response.json()) as { id: string }).id;
      expect(await actionEventsOf(response)).toMatchObject([
        {
          event: "repository",
          action: "added",
          outcome: "success",
          actor: tokenActor(admin),
          target: { type: "repository", id: repositoryId, name: "gadgets" },
          details: { url: fixture.dir, type: "git", has_credentials: false },
        },
      ]);
    });

    it("sync_started, version_added, sync_completed with counts", async () => {
      const events = await sync(repositoryId);
      const target = { type: "repository", id: repositoryId, name: "gadgets" };
      expect(events[0]).toMatchObject({
        event: "repository",
        action: "sync_started",
        outcome: "success",
        actor: tokenActor(writer),
        target,
      });
      const added = events.filter((event) => event.action === "version_added");
      expect(added.map((event) => event.target?.version).sort()).toEqual(["dev-main", "v1.0.0", "v1.1.0"]);
      for (const event of added) {
        expect(event).toMatchObject({
          event: "repository",
          outcome: "success",
          target: { type: "package", name: "acme/gadgets" },
          details: { repository: "gadgets", sync_run: expect.any(String) as unknown },
        });
      }
      expect(events.at(-1)).toMatchObject({
        event: "repository",
        action: "sync_completed",
        outcome: "success",
        severity: "info",
        target,
        details: {
          versions_added: 3,
          versions_updated: 0,
          versions_removed: 0,
          refs_skipped: 0,
          tags_moved: 0,
          sync_run: added[0]?.details.sync_run,
        },
      });
      expect(events).toHaveLength(5);
    });

    it("tag_moved: a tag force-moved to another commit, then a re-sync", async () => {
      const before = fixture.revParse("v1.0.0");
      fixture.branch("side");
      fixture.checkout("side");
      const moved = fixture.commit({ "src/Moved.php": "<?php // not what v1.0.0 was\n" });
      fixture.checkout("main");
      fixture.tag("v1.0.0", moved);
      const events = await sync(repositoryId);
      const tagMoved = events.filter((event) => event.action === "tag_moved");
      expect(tagMoved).toMatchObject([
        {
          event: "repository",
          outcome: "success",
          severity: "warning",
          actor: tokenActor(writer),
          target: { type: "repository", id: repositoryId, name: "gadgets" },
          details: { ref: "refs/tags/v1.0.0", from: before, to: moved },
        },
      ]);
      expect(events.filter((event) => event.action === "version_updated").map((e) => e.target)).toEqual([
        { type: "package", name: "acme/gadgets", version: "v1.0.0" },
      ]);
      expect(events.at(-1)).toMatchObject({
        action: "sync_completed",
        details: { versions_updated: 1, tags_moved: 1, versions_added: 1 },
      });
    });

    it("version_removed: a deleted tag, then a re-sync", async () => {
      fixture.deleteTag("v1.1.0");
      const events = await sync(repositoryId);
      expect(events.filter((event) => event.action === "version_removed")).toMatchObject([
        {
          event: "repository",
          outcome: "success",
          target: { type: "package", name: "acme/gadgets", version: "v1.1.0" },
        },
      ]);
      expect(events.at(-1)).toMatchObject({ action: "sync_completed", details: { versions_removed: 1 } });
    });

    it("sync_failed", async () => {
      const response = await t.request("/api/repositories", {
        method: "POST",
        token: admin.token,
        body: { url: path.join(t.root, "does-not-exist"), name: "missing" },
      });
      const missing = (await response.json()) as { id: string };
      const events = await sync(missing.id, 502);
      expect(events).toMatchObject([
        { action: "sync_started", target: { type: "repository", id: missing.id, name: "missing" } },
        {
          event: "repository",
          action: "sync_failed",
          outcome: "failure",
          severity: "error",
          actor: tokenActor(writer),
          target: { type: "repository", id: missing.id, name: "missing" },
          details: { versions_added: 0, error: expect.any(String) as unknown },
        },
      ]);
    });

    it("sync_failed when a sync cannot even run (another one holds the repository)", async () => {
      const [first, second] = await Promise.all(
        [0, 1].map(() =>
          t.request(`/api/repositories/${repositoryId}/sync`, { method: "POST", token: writer.token }),
        ),
      );
      const refused = [first, second].find((response) => response?.status === 409);
      expect(refused, "one of two simultaneous syncs is refused").toBeDefined();
      expect(await actionEventsOf(refused!)).toMatchObject([
        { action: "sync_started", target: { type: "repository", id: repositoryId } },
        {
          event: "repository",
          action: "sync_failed",
          outcome: "failure",
          severity: "error",
          actor: tokenActor(writer),
          target: { type: "repository", id: repositoryId, name: "gadgets" },
          details: { sync_run: null, code: "SyncInProgress", error: expect.any(String) as unknown },
        },
      ]);
    });

    it("removed", async () => {
      const response = await t.request(`/api/repositories/${repositoryId}`, {
        method: "DELETE",
        token: admin.token,
      });
      expect(response.status).toBe(200);
      expect(await actionEventsOf(response)).toMatchObject([
        {
          event: "repository",
          action: "removed",
          outcome: "success",
          severity: "warning",
          actor: tokenActor(admin),
          target: { type: "repository", id: repositoryId, name: "gadgets" },
          details: { url: fixture.dir, versions_removed: 3 },
        },
      ]);
    });
  });
});

describe("the event walk through the CLI", () => {
  let root: string;
  let env: Record<string, string>;
  let fixture: GitFixture;
  let records: AuditRecords;
  let close: () => Promise<void>;
  const secrets: string[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-walk-cli-"));
    env = { PB_DATA_DIR: path.join(root, "data"), PB_ALLOW_PRIVATE_SOURCES: "true" };
    fixture = new GitFixture(path.join(root, "src", "tools"));
    fixture.commit({ "composer.json": { name: "acme/tools" } });
    fixture.tag("v2.0.0");
    // The first command creates the database: open it once it exists.
    await cli(["migrate"]);
    const database = openSqliteDatabase(path.join(root, "data", "broker.sqlite"));
    records = new AuditRecords(database.db);
    close = () => database.close();
  });

  afterAll(async () => {
    const { rows } = await readLog(records);
    expectNoSecrets(rows, secrets);
    await close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const cli = (args: readonly string[]) => runCliCaptured(args, env);

  /** Runs a command and returns the events it appended (validated). */
  async function eventsOfCommand(args: readonly string[], expectedCode = 0) {
    const before = (await records.state()).size;
    const run = await cli(args);
    expect(run.code, run.stderr).toBe(expectedCode);
    const events = (await storedAuditEvents(records)).filter((event) => event.seq > before);
    for (const event of events) {
      expect(event).toMatchObject({
        user: "console",
        actor: consoleActor,
        ip_address: null,
        user_agent: null,
        request_id: null,
      });
    }
    return { events, stdout: run.stdout };
  }

  it("the first command records the key and the migrations", async () => {
    expect(await storedAuditEvents(records)).toMatchObject([
      { seq: 1, event: "audit", action: "checkpoint_key_created", actor: systemActor },
      {
        seq: 2,
        event: "system",
        action: "migrated",
        actor: systemActor,
        details: {
          applied: [
            "0001-initial",
            "0002-audit-log",
            "0003-audit-search",
            "0004-retention",
            "0005-audit-privacy",
            "0006-audit-search-index",
            "0007-users",
            "0008-composer-proxy",
            "0009-proxy-conflict-time",
            "0010-audit-sinks",
            "0011-composer-eager",
            "0012-alerts",
            "0013-job-runs",
            "0014-sync-progress",
          ],
        },
      },
    ]);
  });

  it("token create and revoke", async () => {
    const created = await eventsOfCommand([
      "token",
      "create",
      "--description",
      "deploy",
      "--scope",
      "write",
      "--json",
    ]);
    const token = JSON.parse(created.stdout) as { id: string; fingerprint: string; token: string };
    secrets.push(token.token);
    const target = { type: "token", id: token.id, name: token.fingerprint };
    expect(created.events).toMatchObject([
      {
        event: "token",
        action: "created",
        outcome: "success",
        target,
        details: { after: { description: "deploy", scopes: ["write"], packages: [], expires_at: null } },
      },
    ]);
    const revoked = await eventsOfCommand(["token", "revoke", token.id]);
    expect(revoked.events).toMatchObject([{ event: "token", action: "revoked", outcome: "success", target }]);
  });

  it("repo add, sync and remove", async () => {
    const added = await eventsOfCommand(["repo", "add", "--url", fixture.dir, "--name", "tools", "--json"]);
    const repository = JSON.parse(added.stdout) as { id: string };
    const target = { type: "repository", id: repository.id, name: "tools" };
    expect(added.events).toMatchObject([
      { event: "repository", action: "added", target, details: { url: fixture.dir, has_credentials: false } },
    ]);
    const synced = await eventsOfCommand(["repo", "sync", "tools"]);
    expect(synced.events.map((event) => event.action)).toEqual([
      "sync_started",
      "version_added",
      "version_added",
      "sync_completed",
    ]);
    expect(synced.events.at(-1)).toMatchObject({
      target,
      details: { versions_added: 2, versions_removed: 0 },
    });
    const removed = await eventsOfCommand(["repo", "remove", "tools"]);
    expect(removed.events).toMatchObject([
      { event: "repository", action: "removed", target, details: { versions_removed: 2 } },
    ]);
  });

  it("package upload, upload_rejected and delete", async () => {
    const zip = path.join(root, "cli-1.0.0.zip");
    fs.writeFileSync(zip, packageZip("acme/cli", "1.0.0"));
    const uploaded = await eventsOfCommand(["package", "upload", zip]);
    expect(uploaded.events).toMatchObject([
      {
        event: "package",
        action: "uploaded",
        outcome: "success",
        target: { type: "package", name: "acme/cli", version: "1.0.0" },
        details: { version_normalized: "1.0.0.0", created: true },
      },
    ]);
    const junk = path.join(root, "junk.zip");
    fs.writeFileSync(junk, "not a zip at all");
    const rejected = await eventsOfCommand(["package", "upload", junk], 2);
    expect(rejected.events).toMatchObject([
      {
        event: "package",
        action: "upload_rejected",
        outcome: "failure",
        target: null,
        details: { code: "InvalidArchive" },
      },
    ]);
    const deleted = await eventsOfCommand(["package", "delete", "acme/cli", "1.0.0"]);
    expect(deleted.events).toMatchObject([
      {
        event: "package",
        action: "deleted",
        outcome: "success",
        severity: "warning",
        target: { type: "package", name: "acme/cli", version: "1.0.0" },
        details: { version_normalized: "1.0.0.0" },
      },
    ]);
  });
});

describe("the event walk through serve: system and configuration", () => {
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-walk-serve-"));
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const environment = (extra: Record<string, string> = {}) => ({
    PB_DATA_DIR: path.join(root, "data"),
    PB_HOST: "127.0.0.1",
    PB_PORT: "0",
    PB_LOG_LEVEL: "warn",
    ...extra,
  });

  async function serveOnce(extra: Record<string, string> = {}): Promise<void> {
    const config = loadConfig(environment(extra));
    const running = await startServer(config, createLogger({ level: "silent" }));
    const health = await fetch(`${running.url}/health`).catch(() => null);
    expect(health).not.toBeNull();
    await running.stop();
  }

  async function eventsOnDisk(): Promise<AuditEvent[]> {
    const database = openSqliteDatabase(path.join(root, "data", "broker.sqlite"));
    try {
      return await storedAuditEvents(new AuditRecords(database.db));
    } finally {
      await database.close();
    }
  }

  it("a first start: key, migrations, configuration loaded, started; then stopped", async () => {
    await serveOnce();
    const events = await eventsOnDisk();
    expect(events.map((event) => `${event.event}/${event.action}`)).toEqual([
      "audit/checkpoint_key_created",
      "system/migrated",
      "configuration/loaded",
      "system/started",
      "system/stopped",
    ]);
    for (const event of events) expect(event).toMatchObject({ user: "system", actor: systemActor });
    expect(events[2]).toMatchObject({
      outcome: "success",
      target: { type: "configuration" },
      details: {
        settings: {
          PB_HOST: "127.0.0.1",
          PB_PORT: 0,
          PB_AUDIT_IP_MODE: "truncate",
          PB_MAX_UPLOAD_BYTES: 64 * 1024 * 1024,
          PB_SECRET_KEY: "generated",
          PB_AUDIT_SIGNING_KEY: expect.stringMatching(/^generated, key id [0-9a-f]{8}$/) as unknown,
        },
      },
    });
    expect(events[3]).toMatchObject({
      event: "system",
      action: "started",
      outcome: "success",
      target: { type: "server" },
      details: { listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown },
    });
    expect(events[4]).toMatchObject({ action: "stopped", target: { type: "server" } });
  });

  it("a second start with changed settings: setting_changed with before and after, no new key or migration", async () => {
    const before = (await eventsOnDisk()).length;
    await serveOnce({ PB_MAX_UPLOAD_BYTES: "1048576", PB_AUDIT_IP_MODE: "hash" });
    const events = (await eventsOnDisk()).slice(before);
    expect(events.map((event) => `${event.event}/${event.action}`)).toEqual([
      "configuration/setting_changed",
      "configuration/setting_changed",
      "configuration/loaded",
      "system/started",
      "system/stopped",
    ]);
    const changes = events.filter((event) => event.action === "setting_changed");
    expect(changes.map((event) => event.target?.name).sort()).toEqual([
      "PB_AUDIT_IP_MODE",
      "PB_MAX_UPLOAD_BYTES",
    ]);
    for (const change of changes) expect(change).toMatchObject({ outcome: "success", severity: "warning" });
    expect(changes.find((event) => event.target?.name === "PB_MAX_UPLOAD_BYTES")).toMatchObject({
      target: { type: "setting", name: "PB_MAX_UPLOAD_BYTES" },
      details: { before: 64 * 1024 * 1024, after: 1048576 },
    });
    expect(changes.find((event) => event.target?.name === "PB_AUDIT_IP_MODE")?.details).toEqual({
      before: "truncate",
      after: "hash",
    });
  });

  it("a third start with the same settings records no change", async () => {
    const before = (await eventsOnDisk()).length;
    await serveOnce({ PB_MAX_UPLOAD_BYTES: "1048576", PB_AUDIT_IP_MODE: "hash" });
    const events = (await eventsOnDisk()).slice(before);
    expect(events.map((event) => event.action)).toEqual(["loaded", "started", "stopped"]);
  });
});
