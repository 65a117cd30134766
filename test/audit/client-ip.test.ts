import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/audit-event.ts";
import { startServer, type RunningServer } from "../../src/cli/serve-command.ts";
import { loadConfig } from "../../src/config/load-config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { authorization } from "../builders/test-runtime.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";

/**
 * The client address in audit events, over real sockets: `app.request()` has no peer, so these
 * tests start the server (`startServer`, as `serve` does) on 127.0.0.1 and use fetch.
 */

let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-client-ip-"));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let servers = 0;

async function withServer(
  env: Record<string, string>,
  work: (server: RunningServer, token: string) => Promise<void>,
): Promise<void> {
  servers += 1;
  const config = loadConfig({
    PB_DATA_DIR: path.join(root, `data-${servers}`),
    PB_HOST: "127.0.0.1",
    PB_PORT: "0",
    ...env,
  });
  const server = await startServer(config, createLogger({ level: "silent" }));
  try {
    const { token } = await server.runtime.tokens.create({ description: "ip test" });
    await work(server, token);
  } finally {
    await server.stop();
  }
}

let requests = 0;

/** GET /packages.json over the socket; returns the events of that request. */
async function eventsOfRequest(
  server: RunningServer,
  headers: Record<string, string>,
  token?: string,
): Promise<AuditEvent[]> {
  requests += 1;
  const requestId = `ip-test-${requests}`;
  const response = await fetch(`${server.url}/packages.json`, {
    headers: {
      "x-request-id": requestId,
      ...(token === undefined ? {} : { authorization: authorization(token) }),
      ...headers,
    },
  });
  await response.arrayBuffer();
  expect(response.headers.get("x-request-id")).toBe(requestId);
  const events = (await storedAuditEvents(server.runtime.audit.records)).filter(
    (event) => event.request_id === requestId,
  );
  expect(events.length).toBeGreaterThan(0);
  return events;
}

const addresses = (events: readonly AuditEvent[]) => [...new Set(events.map((event) => event.ip_address))];

describe("client addresses in audit events", () => {
  it("full + trusted proxy: the forwarded client address, the rightmost untrusted hop", async () => {
    await withServer(
      { PB_AUDIT_IP_MODE: "full", PB_TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8" },
      async (server, token) => {
        const refused = await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" });
        expect(refused).toMatchObject([{ action: "credentials_missing", ip_address: "198.51.100.23" }]);

        const accepted = await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }, token);
        expect(accepted.map((event) => event.action)).toEqual(["token_accepted", "packages_json"]);
        expect(addresses(accepted)).toEqual(["198.51.100.23"]);

        // A forged first entry is not believed: the hops the trusted proxies appended are.
        const forged = await eventsOfRequest(
          server,
          { "x-forwarded-for": "6.6.6.6, 198.51.100.24, 10.1.1.1" },
          token,
        );
        expect(addresses(forged)).toEqual(["198.51.100.24"]);

        // Garbage stops the walk at the last trusted hop.
        const garbage = await eventsOfRequest(
          server,
          { "x-forwarded-for": "<script>alert(1)</script>" },
          token,
        );
        expect(addresses(garbage)).toEqual(["127.0.0.1"]);

        // Without the header the peer itself is the client.
        expect(addresses(await eventsOfRequest(server, {}, token))).toEqual(["127.0.0.1"]);
      },
    );
  });

  it("full without trusted proxies: the socket's peer; X-Forwarded-For is ignored", async () => {
    await withServer({ PB_AUDIT_IP_MODE: "full" }, async (server, token) => {
      const events = await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }, token);
      expect(addresses(events)).toEqual(["127.0.0.1"]);
    });
  });

  it("the default (truncate) stores the /24, of the peer or of the forwarded client", async () => {
    await withServer({}, async (server, token) => {
      expect(server.runtime.config.audit.ipMode).toBe("truncate");
      const events = await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }, token);
      expect(addresses(events)).toEqual(["127.0.0.0/24"]);
    });
    await withServer({ PB_TRUSTED_PROXIES: "127.0.0.1" }, async (server, token) => {
      const events = await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }, token);
      expect(addresses(events)).toEqual(["198.51.100.0/24"]);
      const stored = await storedAuditEvents(server.runtime.audit.records);
      expect(JSON.stringify(stored)).not.toContain("198.51.100.23");
    });
  });

  it("hash stores a stable keyed pseudonym; none stores nothing", async () => {
    await withServer({ PB_AUDIT_IP_MODE: "hash", PB_TRUSTED_PROXIES: "127.0.0.1" }, async (server, token) => {
      const first = addresses(await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }, token));
      const again = addresses(await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }));
      const other = addresses(await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.24" }));
      expect(first).toHaveLength(1);
      expect(first[0]).toMatch(/^hmac:[0-9a-f]{32}$/);
      expect(again).toEqual(first);
      expect(other).not.toEqual(first);
    });
    await withServer({ PB_AUDIT_IP_MODE: "none", PB_TRUSTED_PROXIES: "127.0.0.1" }, async (server, token) => {
      const events = await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }, token);
      expect(addresses(events)).toEqual([null]);
    });
  });

  it("PB_AUDIT_RAW_IP_DAYS keeps the raw address beside the event, for an admin, never in the leaf", async () => {
    await withServer(
      { PB_AUDIT_IP_MODE: "none", PB_AUDIT_RAW_IP_DAYS: "30", PB_TRUSTED_PROXIES: "127.0.0.1" },
      async (server, token) => {
        const [event] = await eventsOfRequest(server, { "x-forwarded-for": "198.51.100.23" }, token);
        expect(event?.ip_address).toBeNull();
        const stored = await storedAuditEvents(server.runtime.audit.records);
        expect(JSON.stringify(stored)).not.toContain("198.51.100.23");

        const { token: adminToken } = await server.runtime.tokens.create({
          description: "admin",
          scopes: ["admin"],
        });
        const response = await fetch(`${server.url}/api/audit/events/${event?.id ?? ""}/raw-ip`, {
          headers: { authorization: authorization(adminToken, "bearer") },
        });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({
          id: event?.id,
          seq: event?.seq,
          state: "kept",
          ip_address: "198.51.100.23",
        });
        const reads = (await storedAuditEvents(server.runtime.audit.records)).filter(
          (stored) => stored.action === "raw_ip_read",
        );
        expect(reads).toMatchObject([
          { severity: "warning", target: { id: event?.id }, details: { state: "kept" } },
        ]);
        expect(JSON.stringify(reads)).not.toContain("198.51.100.23");

        const { token: readerToken } = await server.runtime.tokens.create({ description: "reader" });
        const refused = await fetch(`${server.url}/api/audit/events/${event?.id ?? ""}/raw-ip`, {
          headers: { authorization: authorization(readerToken, "bearer") },
        });
        expect(refused.status).toBe(403);
      },
    );
  });
});
