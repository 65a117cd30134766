import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageZip } from "../builders/test-runtime.ts";
import { brokerJson, BrokerServer } from "../support/broker-process.ts";
import { composerAvailable, ComposerProject } from "../support/composer-client.ts";
import { freePort } from "../support/free-port.ts";
import { requireComponent } from "../support/required-component.ts";

const runs = requireComponent(
  "composer",
  composerAvailable(),
  "install the composer, php-cli, php-zip, php-curl packages",
);

interface CreatedToken {
  readonly id: string;
  readonly token: string;
  readonly packagePatterns: string[];
  readonly expiresAt: string | null;
}

interface AuditPage {
  readonly events: { action: string; actor: { type: string; id: string }; target: { id?: string } }[];
}

/**
 * The vendor's shop, end to end over HTTP with the real composer client: the shop's admin API
 * token publishes packages and creates a customer token limited to what the customer bought, with
 * an expiry; the customer installs; the shop revokes the token and the customer's next run fails
 * with our warning.
 */
describe.runIf(runs)("the e-shop flow", () => {
  let root: string;
  let env: Record<string, string>;
  let server: BrokerServer;
  let hostPort: string;
  let shopToken: string;
  let customer: CreatedToken;

  const api = async (pathAndQuery: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.url}${pathAndQuery}`, {
      ...init,
      headers: { authorization: `Bearer ${shopToken}`, ...(init.headers as Record<string, string>) },
    });

  const project = (name: string, require: Record<string, string>): ComposerProject => {
    const dir = path.join(root, "projects", name);
    fs.mkdirSync(dir, { recursive: true });
    const app = new ComposerProject(dir, server.url, require);
    app.useBasicToken(hostPort, customer.token);
    return app;
  };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-eshop-"));
    const port = await freePort();
    hostPort = `127.0.0.1:${port}`;
    env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: `http://${hostPort}` };
    shopToken = brokerJson<{ token: string }>(
      ["token", "create", "--description", "the shop", "--scope", "admin"],
      env,
    ).token;
    server = await BrokerServer.start(env, port);
    for (const [name, version] of [
      ["vendor/package-basic", "1.0.0"],
      ["vendor/package-pro", "2.1.0"],
      ["vendor/internal-tools", "0.3.0"],
    ] as const) {
      const response = await api("/api/packages/upload", {
        method: "POST",
        headers: { "content-type": "application/zip" },
        body: new Uint8Array(
          packageZip(name, version, {
            composer: { autoload: { "psr-4": { "Vendor\\\\": "src/" } } },
          }),
        ),
      });
      expect(response.status, await response.clone().text()).toBe(201);
    }
  }, 240_000);

  afterAll(async () => {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("creates a customer token limited to the packages bought, with an expiry", async () => {
    const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
    const response = await api("/api/tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        description: "order 1001: ACME Ltd",
        scopes: ["read"],
        packages: ["vendor/package-*"],
        expiresAt,
      }),
    });
    expect(response.status).toBe(201);
    customer = (await response.json()) as CreatedToken;
    expect(customer.token).toMatch(/^pb_/);
    expect(customer.packagePatterns).toEqual(["vendor/package-*"]);
    expect(customer.expiresAt).toBe(expiresAt);
  });

  it("lets the customer install what they bought, and nothing else", async () => {
    const app = project("bought", { "vendor/package-pro": "^2.0", "vendor/package-basic": "^1.0" });
    const run = app.run("install");
    expect(run.status, run.output).toBe(0);
    expect(app.installed().get("vendor/package-pro")).toEqual({
      version: "2.1.0",
      installationSource: "dist",
    });

    const other = project("not-bought", { "vendor/internal-tools": "*" });
    const refused = other.run("install");
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/vendor\/internal-tools/);

    const listed = (await (
      await fetch(`${server.url}/packages.json`, { headers: { authorization: `Bearer ${customer.token}` } })
    ).json()) as { "available-packages": string[] };
    expect(listed["available-packages"].sort()).toEqual(["vendor/package-basic", "vendor/package-pro"]);
  });

  it("refuses the customer's next composer run once the shop revokes the token, with our warning", async () => {
    const revoked = await api(`/api/tokens/${customer.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    const app = project("after-revocation", { "vendor/package-pro": "^2.0" });
    const run = app.run("install");
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/Warning from .*: token was revoked on \d{4}-\d{2}-\d{2}/);
  });

  it("records the shop's changes with the shop's token as the actor", async () => {
    const response = await api(`/api/audit/events?q=${encodeURIComponent("event:token")}&order=asc`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as AuditPage;
    const changes = page.events.filter((event) => event.target.id === customer.id);
    expect(changes.map((event) => event.action)).toEqual(["created", "revoked"]);
    for (const event of changes) expect(event.actor.type).toBe("token");
  });
});
