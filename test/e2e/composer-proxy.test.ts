import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GitFixture } from "../builders/git-fixture.ts";
import { brokerJson, BrokerServer, runBrokerCli } from "../support/broker-process.ts";
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

/**
 * A static Composer repository served by nginx as a composer upstream, a private git package that
 * requires proxied ones, the real composer client; then the upstream stops and a fresh install
 * still succeeds from the broker's store.
 */
describe.runIf(runs)("composer install through a composer upstream", () => {
  let root: string;
  let env: Record<string, string>;
  let hostPort: string;
  let upstream: StaticComposerRepository | undefined;
  let server: BrokerServer | undefined;
  let token: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-proxy-e2e-"));
    // nginx's workers run as another user: they must be able to read the docroot.
    fs.chmodSync(root, 0o755);
    const port = await freePort();
    hostPort = `127.0.0.1:${port}`;
    env = {
      PB_DATA_DIR: path.join(root, "data"),
      PB_ALLOW_PRIVATE_SOURCES: "true",
      PB_BASE_URL: `http://${hostPort}`,
      // Revalidate on every request: a stopped upstream is asked, fails, and the store answers.
      PB_PROXY_METADATA_MAX_AGE_SECONDS: "0",
      PB_PROXY_TIMEOUT_SECONDS: "5",
    };

    const repository = await StaticComposerRepository.create(path.join(root, "upstream"));
    upstream = repository;
    repository.addPackage("thirdparty/log", [
      { version: "v1.1.0", versionNormalized: "1.1.0.0", require: { php: ">=7.4" } },
      { version: "v1.0.0", versionNormalized: "1.0.0.0" },
    ]);
    repository.addPackage("thirdparty/util", [
      { version: "2.0.0", versionNormalized: "2.0.0.0", require: { "thirdparty/log": "^1.0" } },
    ]);
    repository.addPackage("thirdparty/badsum", [
      { version: "1.0.0", versionNormalized: "1.0.0.0", shasum: "0".repeat(40) },
    ]);
    // The upstream also offers a package with the name of our private one: it must never be asked.
    repository.addPackage("acme/app", [{ version: "9.9.9", versionNormalized: "9.9.9.0" }]);
    repository.addPackage("other/outside", [{ version: "1.0.0", versionNormalized: "1.0.0.0" }]);
    repository.writeFile("p2/thirdparty/garbage.json", "<html>this is not JSON</html>");
    await repository.start();

    const app = new GitFixture(path.join(root, "src/app"));
    app.commit({
      "composer.json": {
        name: "acme/app",
        require: { "thirdparty/util": "^2.0" },
        autoload: { "psr-4": { "Acme\\App\\": "src/" } },
      },
      "src/App.php": "<?php namespace Acme\\App; class App {}\n",
    });
    app.tag("v1.0.0");
    const git = brokerJson<{ id: string }>(["repo", "add", "--url", path.join(root, "src/app")], env);
    expect(brokerJson<{ status: string }>(["repo", "sync", git.id], env).status).toBe("succeeded");

    const added = brokerJson<{ type: string; packagePatterns: string[]; hasCredentials: boolean }>(
      ["repo", "add", "--type", "composer", "--url", repository.url, "--packages", "thirdparty/*", "acme/*"],
      env,
    );
    expect(added).toMatchObject({ type: "composer", packagePatterns: ["thirdparty/*", "acme/*"] });
    token = brokerJson<{ token: string }>(["token", "create", "--description", "developer"], env).token;
    server = await BrokerServer.start(env, port);
  }, 240_000);

  afterAll(async () => {
    await upstream?.stop();
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const nginx = (): StaticComposerRepository => {
    if (upstream === undefined) throw new Error("the upstream did not start");
    return upstream;
  };
  const broker = (): BrokerServer => {
    if (server === undefined) throw new Error("the broker did not start");
    return server;
  };

  const project = (name: string, require: Record<string, string>): ComposerProject => {
    const dir = path.join(root, "projects", name);
    fs.mkdirSync(dir, { recursive: true });
    const consumer = new ComposerProject(dir, broker().url, require);
    consumer.useBasicToken(hostPort, token);
    return consumer;
  };

  const get = (url: string) =>
    fetch(`${broker().url}${url}`, {
      headers: { authorization: `Basic ${Buffer.from(`token:${token}`).toString("base64")}` },
    });

  const auditActions = (): { action: string; details: string; target: string | null }[] => {
    const db = new Database(path.join(env.PB_DATA_DIR ?? "", "broker.sqlite"), { readonly: true });
    const rows = db
      .prepare("select action, details, target from audit_logs where event = 'repository' order by seq")
      .all() as { action: string; details: string; target: string | null }[];
    db.close();
    return rows;
  };

  it("refuses a repository that is not a Composer v2 repository", () => {
    const result = runBrokerCli(
      ["repo", "add", "--type", "composer", "--url", `${nginx().url}/p2`, "--json"],
      env,
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/packages\.json answered HTTP 404/);
  });

  it("installs a private package whose dependencies come from the upstream", () => {
    const consumer = project("first", { "acme/app": "^1.0" });
    const run = consumer.run("install");
    expect(run.status, run.output).toBe(0);
    const installed = consumer.installed();
    expect(installed.get("acme/app")).toEqual({ version: "v1.0.0", installationSource: "dist" });
    // util's `require` survived the expansion of the minified document: log came with it.
    expect(installed.get("thirdparty/util")).toEqual({ version: "2.0.0", installationSource: "dist" });
    expect(installed.get("thirdparty/log")).toEqual({ version: "v1.1.0", installationSource: "dist" });
    const autoload = fs.readFileSync(path.join(consumer.dir, "vendor/composer/autoload_psr4.php"), "utf8");
    expect(autoload).toContain("Upstream\\\\Log\\\\");
    // The private name won: the upstream was never asked about it.
    expect(
      nginx()
        .requestedPaths()
        .filter((p) => p.includes("acme/app")),
    ).toEqual([]);
    const actions = auditActions().map((row) => row.action);
    expect(actions.filter((action) => action === "dist_mirrored")).toHaveLength(2);
  });

  it("advertises the upstream's patterns in packages.json and serves our dist URLs", async () => {
    const root = (await (await get("/packages.json")).json()) as Record<string, unknown>;
    expect(root["available-packages"]).toEqual(["acme/app"]);
    expect(root["available-package-patterns"]).toEqual(["acme/*", "thirdparty/*"]);
    const p2 = (await (await get("/p2/thirdparty/log.json")).json()) as {
      packages: Record<string, { dist?: { url: string } }[]>;
    };
    const urls = (p2.packages["thirdparty/log"] ?? []).map((v) => v.dist?.url);
    expect(urls).toHaveLength(2);
    for (const url of urls) expect(url).toMatch(new RegExp(`^http://${hostPort}/dists/thirdparty/log/`));
  });

  it("answers 404 for names outside the upstream's patterns, and for garbage upstream metadata", async () => {
    expect((await get("/p2/other/outside.json")).status).toBe(404);
    expect(nginx().requestedPaths()).not.toContain("/p2/other/outside.json");
    expect((await get("/p2/thirdparty/garbage.json")).status).toBe(404);
    const failure = auditActions().find(
      (row) => row.action === "proxy_fetch_failed" && row.details.includes("thirdparty/garbage"),
    );
    expect(failure?.details).toMatch(/InvalidUpstreamMetadata/);
  });

  it("refuses a dist whose bytes do not match the upstream's shasum, and stores nothing", async () => {
    const p2 = (await (await get("/p2/thirdparty/badsum.json")).json()) as {
      packages: Record<string, { dist: { url: string } }[]>;
    };
    const url = p2.packages["thirdparty/badsum"]?.[0]?.dist.url ?? "";
    const response = await get(url.slice(broker().url.length));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { code: string }).code).toBe("UpstreamChecksumMismatch");
    const db = new Database(path.join(env.PB_DATA_DIR ?? "", "broker.sqlite"), { readonly: true });
    const row = db
      .prepare("select dist_sha256 from proxy_versions where package_name = 'thirdparty/badsum'")
      .get() as { dist_sha256: string | null };
    db.close();
    expect(row.dist_sha256).toBeNull();
  });

  it("installs again from the broker's store when the upstream is down", async () => {
    await nginx().stop();
    const consumer = project("offline", { "acme/app": "^1.0", "thirdparty/log": "^1.0" });
    const run = consumer.run("install");
    expect(run.status, run.output).toBe(0);
    expect(consumer.installed().get("thirdparty/log")).toEqual({
      version: "v1.1.0",
      installationSource: "dist",
    });
    expect(consumer.installed().get("thirdparty/util")?.version).toBe("2.0.0");
    // The stale documents were served at once and refreshed in the background: that refresh's
    // failure is recorded when it ends, which may be after composer is done.
    await vi.waitFor(
      () => {
        const failures = auditActions().filter((row) => row.action === "proxy_fetch_failed");
        expect(failures.some((row) => row.details.includes('"served_stale":true'))).toBe(true);
      },
      { timeout: 30_000, interval: 200 },
    );
  });
});
