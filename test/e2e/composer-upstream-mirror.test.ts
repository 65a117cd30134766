import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GitFixture } from "../builders/git-fixture.ts";
import { brokerJson, BrokerServer } from "../support/broker-process.ts";
import { composerAvailable, ComposerProject } from "../support/composer-client.ts";
import { freePort } from "../support/free-port.ts";
import { requireComponent } from "../support/required-component.ts";
import { nginxAvailable, StaticComposerRepository } from "../support/static-composer-repository.ts";

const runs =
  requireComponent(
    "composer",
    composerAvailable(),
    "install the composer, php-cli, php-zip, php-curl packages",
  ) && requireComponent("nginx", nginxAvailable(), "install the nginx package");

interface Broker {
  readonly env: Record<string, string>;
  readonly hostPort: string;
  readonly port: number;
}

async function brokerEnv(root: string, name: string): Promise<Broker> {
  const port = await freePort();
  const hostPort = `127.0.0.1:${port}`;
  return {
    port,
    hostPort,
    env: {
      PB_DATA_DIR: path.join(root, name),
      PB_ALLOW_PRIVATE_SOURCES: "true",
      PB_BASE_URL: `http://${hostPort}`,
      PB_PROXY_TIMEOUT_SECONDS: "5",
    },
  };
}

/** Adds a git repository of one tagged package to a broker and syncs it. */
function privatePackage(
  root: string,
  broker: Broker,
  name: string,
  require: Record<string, string> = {},
): void {
  const dir = path.join(root, "src", name.replace("/", "-"));
  const git = new GitFixture(dir);
  const namespace = name
    .split("/")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).replace(/-/g, ""));
  git.commit({
    "composer.json": { name, require, autoload: { "psr-4": { [`${namespace.join("\\")}\\`]: "src/" } } },
    "src/Marker.php": `<?php namespace ${namespace.join("\\")}; class Marker {}\n`,
  });
  git.tag("v1.0.0");
  const added = brokerJson<{ id: string }>(["repo", "add", "--url", dir], broker.env);
  expect(brokerJson<{ status: string }>(["repo", "sync", added.id], broker.env).status).toBe("succeeded");
}

/**
 * Eager mode with the real composer client: an upstream's packages are mirrored ahead of time, the
 * upstream goes away before anyone installed them, and `composer install` still works. And a second
 * PACKAGE.broker as an authenticated upstream of the first.
 */
describe.runIf(runs)("composer upstreams mirrored ahead of time, and a broker behind a broker", () => {
  let root: string;
  let first: Broker;
  let second: Broker;
  let nginx: StaticComposerRepository | undefined;
  let firstServer: BrokerServer | undefined;
  let secondServer: BrokerServer | undefined;
  let token: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-eager-e2e-"));
    fs.chmodSync(root, 0o755);
    first = await brokerEnv(root, "first");
    second = await brokerEnv(root, "second");

    // The second broker hosts a private package, and gives the first a token for it.
    privatePackage(root, second, "partner/secret");
    const upstreamToken = brokerJson<{ token: string }>(
      ["token", "create", "--description", "first broker"],
      second.env,
    ).token;
    secondServer = await BrokerServer.start(second.env, second.port);

    // A static repository whose packages the first broker mirrors eagerly.
    nginx = await StaticComposerRepository.create(path.join(root, "upstream"));
    nginx.addPackage("eagerlib/base", [{ version: "1.2.0", versionNormalized: "1.2.0.0" }]);
    nginx.addPackage("eagerlib/tool", [
      { version: "2.0.0", versionNormalized: "2.0.0.0", require: { "eagerlib/base": "^1.0" } },
    ]);
    nginx.addPackage("eagerlib/unused-but-listed", [{ version: "1.0.0", versionNormalized: "1.0.0.0" }]);
    nginx.setRootKeys({
      "available-packages": ["eagerlib/base", "eagerlib/tool", "eagerlib/unused-but-listed"],
    });
    await nginx.start();

    privatePackage(root, first, "acme/app", { "partner/secret": "^1.0", "eagerlib/tool": "^2.0" });
    const eager = brokerJson<{ eagerPackages: string[] }>(
      ["repo", "add", "--type", "composer", "--url", nginx.url, "--name", "mirror", "--eager", "eagerlib/*"],
      first.env,
    );
    expect(eager.eagerPackages).toEqual(["eagerlib/*"]);
    const partner = brokerJson<{ hasCredentials: boolean }>(
      [
        "repo",
        "add",
        "--type",
        "composer",
        "--url",
        secondServer.url,
        "--name",
        "partner",
        "--credentials",
        `token:${upstreamToken}`,
        "--packages",
        "partner/*",
      ],
      first.env,
    );
    expect(partner.hasCredentials).toBe(true);
    token = brokerJson<{ token: string }>(["token", "create", "--description", "developer"], first.env).token;
  }, 240_000);

  afterAll(async () => {
    await nginx?.stop();
    await firstServer?.stop();
    await secondServer?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const project = (name: string, require: Record<string, string>): ComposerProject => {
    const dir = path.join(root, "projects", name);
    fs.mkdirSync(dir, { recursive: true });
    const consumer = new ComposerProject(dir, `http://${first.hostPort}`, require);
    consumer.useBasicToken(first.hostPort, token);
    return consumer;
  };

  it("syncs the eager packages with `repo sync`: documents and every dist", () => {
    const run = brokerJson<{ status: string; details: { upstream: Record<string, unknown> } }>(
      ["repo", "sync", "mirror"],
      first.env,
    );
    expect(run.status).toBe("succeeded");
    expect(run.details.upstream).toMatchObject({
      mode: "full",
      packages: { fetched: 3, unchanged: 0, failed: 0, gone: 0 },
      dists: { fetched: 3, unchanged: 0, failed: 0 },
    });
    const db = new Database(path.join(first.env.PB_DATA_DIR ?? "", "broker.sqlite"), { readonly: true });
    const actions = db
      .prepare("select action from audit_logs where event = 'repository' order by seq")
      .all() as { action: string }[];
    db.close();
    expect(actions.map((row) => row.action)).toEqual(
      expect.arrayContaining(["sync_started", "sync_completed"]),
    );
  });

  it("installs the mirrored packages with their upstream down, and a private package of a second broker", async () => {
    await nginx?.stop();
    firstServer = await BrokerServer.start(first.env, first.port);
    const consumer = project("mixed", { "acme/app": "^1.0" });
    const run = consumer.run("install");
    expect(run.status, run.output).toBe(0);
    const installed = consumer.installed();
    expect(installed.get("acme/app")?.version).toBe("v1.0.0");
    expect(installed.get("partner/secret")).toEqual({ version: "v1.0.0", installationSource: "dist" });
    expect(installed.get("eagerlib/tool")).toEqual({ version: "2.0.0", installationSource: "dist" });
    expect(installed.get("eagerlib/base")).toEqual({ version: "1.2.0", installationSource: "dist" });
    // The first broker fetched them from the second with its token (the second logs the requests).
    const upstream = secondServer;
    if (upstream === undefined) throw new Error("the second broker did not start");
    await upstream.waitForRequest(0, "GET /p2/partner/secret.json 200");
    expect((await fetch(`${upstream.url}/p2/partner/secret.json`)).status).toBe(401);
    await vi.waitFor(() => {
      expect(
        upstream.requestsSince(0).some((line) => /^GET \/dists\/partner\/secret\/.+ 200$/.test(line)),
      ).toBe(true);
    });
  });

  it("installs again from the first broker's store once the second broker is down too", async () => {
    await secondServer?.stop();
    const consumer = project("mixed", { "acme/app": "^1.0" });
    consumer.clearVendorAndCache();
    fs.rmSync(path.join(consumer.dir, "composer.lock"), { force: true });
    const run = consumer.run("install");
    expect(run.status, run.output).toBe(0);
    expect(consumer.installed().get("partner/secret")?.version).toBe("v1.0.0");
    expect(consumer.installed().get("eagerlib/base")?.version).toBe("1.2.0");
  });
});
