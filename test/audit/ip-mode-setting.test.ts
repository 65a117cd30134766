import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/audit-event.ts";
import { startServer, type RunningServer } from "../../src/cli/serve-command.ts";
import { systemClock } from "../../src/clock/clock.ts";
import { consoleContext } from "../../src/audit/audit-event.ts";
import { auditTrail } from "../../src/audit/audit-trail.ts";
import { loadConfig, type Config } from "../../src/config/load-config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { openRuntime } from "../../src/runtime.ts";
import { authorization, TEST_PASSWORD } from "../builders/test-runtime.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";

/**
 * `audit.ipMode` over real sockets (`app.request()` has no peer): the mode in force decides what
 * each request's events keep, from the request after a change on; past events keep theirs.
 */

let root: string;
let config: Config;
let server: RunningServer;
let admin: string;
let reader: string;
let requests = 0;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-ip-mode-"));
  config = loadConfig({
    PB_DATA_DIR: path.join(root, "data"),
    PB_HOST: "127.0.0.1",
    PB_PORT: "0",
    PB_AUDIT_IP_MODE: "full",
  });
  server = await startServer(config, createLogger({ level: "silent" }));
  admin = (await server.runtime.tokens.create({ description: "admin", scopes: ["admin"] })).token;
  reader = (await server.runtime.tokens.create({ description: "reader", scopes: ["write"] })).token;
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

async function send(
  method: string,
  pathname: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: unknown; events: AuditEvent[] }> {
  requests += 1;
  const requestId = `ip-mode-${requests}`;
  const response = await fetch(`${server.url}${pathname}`, {
    method,
    headers: {
      "x-request-id": requestId,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  await server.runtime.audit.log.flush();
  const events = (await storedAuditEvents(server.runtime.audit.records)).filter(
    (event) => event.request_id === requestId,
  );
  return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown), events };
}

const asAdmin = (): Record<string, string> => ({ authorization: authorization(admin, "bearer") });
const packagesJson = () => send("GET", "/packages.json", { authorization: authorization(reader) });
const addresses = (events: readonly AuditEvent[]) => [...new Set(events.map((event) => event.ip_address))];

async function signIn(role: "maintainer" | "auditor" | "viewer"): Promise<Record<string, string>> {
  const email = `${role}@example.org`;
  await server.runtime.users.create({ email, role, password: TEST_PASSWORD });
  const response = await fetch(`${server.url}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: TEST_PASSWORD }),
  });
  expect(response.status).toBe(200);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return { cookie, "x-csrf-token": csrfToken };
}

describe("the audit IP mode setting", () => {
  it("is PB_AUDIT_IP_MODE until set; a change counts from the next request on", async () => {
    const read = await send("GET", "/api/settings", asAdmin());
    expect(read.body).toMatchObject({ audit: { ipMode: "full", ipModeSource: "environment" } });

    const before = await packagesJson();
    expect(addresses(before.events)).toEqual(["127.0.0.1"]);

    const change = await send("PATCH", "/api/settings", asAdmin(), { audit: { ipMode: "hash" } });
    expect(change.status).toBe(200);
    expect(change.body).toMatchObject({ audit: { ipMode: "hash", ipModeSource: "setting" } });
    // The request that made the change began under the old mode; its events keep it.
    const changed = change.events.find((event) => event.action === "settings_changed");
    expect(changed).toMatchObject({
      ip_address: "127.0.0.1",
      details: { before: { "audit.ipMode": "full" }, after: { "audit.ipMode": "hash" } },
    });

    const after = await packagesJson();
    const [hashed, ...others] = addresses(after.events);
    expect(others).toEqual([]);
    expect(hashed).toMatch(/^hmac:[0-9a-f]{32}$/);
    // What was stored before stays as it was.
    const again = (await storedAuditEvents(server.runtime.audit.records)).filter(
      (event) => event.request_id === before.events[0]?.request_id,
    );
    expect(addresses(again)).toEqual(["127.0.0.1"]);
  });

  it("refuses modes that are not one and patches by anyone but an admin", async () => {
    const current = ((await send("GET", "/api/settings", asAdmin())).body as { audit: { ipMode: string } })
      .audit.ipMode;
    for (const ipMode of ["HASH", "anonymize", "", null, 1, true, ["none"], { mode: "none" }]) {
      const refused = await send("PATCH", "/api/settings", asAdmin(), { audit: { ipMode } });
      expect(refused.status, JSON.stringify(ipMode)).toBe(400);
      expect(refused.body).toMatchObject({
        code: "InvalidSettings",
        errors: [{ path: "audit.ipMode" }],
      });
    }
    const source = await send("PATCH", "/api/settings", asAdmin(), { audit: { ipModeSource: "setting" } });
    expect(source.status).toBe(400);
    expect(source.body).toMatchObject({ errors: [{ path: "audit.ipModeSource" }] });

    const none = { audit: { ipMode: "none" } };
    const wrongScope = await send("PATCH", "/api/settings", { authorization: authorization(reader) }, none);
    expect(wrongScope.status).toBe(403);
    for (const role of ["maintainer", "auditor", "viewer"] as const) {
      const session = await signIn(role);
      const denied = await send("PATCH", "/api/settings", session, none);
      expect(denied.status, role).toBe(403);
      expect((await send("GET", "/api/settings", session)).status, role).toBe(403);
    }
    const unauthenticated = await send("PATCH", "/api/settings", {}, none);
    expect(unauthenticated.status).toBe(401);

    const after = (await send("GET", "/api/settings", asAdmin())).body as { audit: { ipMode: string } };
    expect(after.audit.ipMode).toBe(current);
    expect(server.runtime.audit.ipMode.current()).toBe(current);
  });

  it("reaches a running server at its next refresh when another process changes it", async () => {
    // The console (`package-broker settings set audit.ipMode truncate`) is another process.
    const console = await openRuntime(config, createLogger({ level: "silent" }), systemClock, {
      answersRequests: false,
    });
    try {
      await console.settings.update(
        { audit: { ipMode: "truncate" } },
        auditTrail(console.audit.log, consoleContext),
      );
    } finally {
      await console.close();
    }
    // Until its refresh (every few seconds) the server keeps the mode it had; then it follows.
    await server.runtime.audit.ipMode.refresh();
    expect(addresses((await packagesJson()).events)).toEqual(["127.0.0.0/24"]);
    expect((await send("GET", "/api/settings", asAdmin())).body).toMatchObject({
      audit: { ipMode: "truncate", ipModeSource: "setting" },
    });
  });
});
