import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitFixture } from "../builders/git-fixture.ts";
import { brokerJson, BrokerServer, runBrokerCli } from "../support/broker-process.ts";
import { composerAvailable, ComposerProject } from "../support/composer-client.ts";
import { freePort } from "../support/free-port.ts";
import { requireComponent } from "../support/required-component.ts";

const runs = requireComponent(
  "composer",
  composerAvailable(),
  "install the composer, php-cli, php-zip, php-curl packages",
);

interface SyncResult {
  status: string;
  details: { added: string[]; removed: string[]; skipped: { ref: string; reason: string }[] };
}

describe.runIf(runs)("composer install against PACKAGE.broker", () => {
  let root: string;
  let env: Record<string, string>;
  let server: BrokerServer;
  let hostPort: string;
  let alpha: GitFixture;
  let readToken: string;
  let limitedToken: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-e2e-"));
    const port = await freePort();
    hostPort = `127.0.0.1:${port}`;
    env = {
      PB_DATA_DIR: path.join(root, "data"),
      PB_ALLOW_PRIVATE_SOURCES: "true",
      PB_BASE_URL: `http://${hostPort}`,
    };

    alpha = new GitFixture(path.join(root, "src/alpha"));
    const alphaJson = (extra: object = {}) => ({
      name: "acme/alpha",
      description: "Alpha",
      license: "MIT",
      autoload: { "psr-4": { "Acme\\Alpha\\": "src/" } },
      ...extra,
    });
    alpha.commit({
      "composer.json": alphaJson(),
      "src/Alpha.php": "<?php namespace Acme\\Alpha; class Alpha {}\n",
    });
    alpha.tag("v1.0.0");
    alpha.commit({ "src/Alpha.php": "<?php namespace Acme\\Alpha; class Alpha { const V = 11; }\n" });
    alpha.tag("v1.1.0");
    alpha.commit({ "composer.json": alphaJson({ extra: { "branch-alias": { "dev-main": "1.x-dev" } } }) });
    alpha.branch("develop");
    alpha.tag("not-a-version");

    const beta = new GitFixture(path.join(root, "src/beta"));
    beta.commit({ "composer.json": { name: "acme/beta", require: { "acme/alpha": "^1.0" } } });
    beta.tag("v1.0.0");
    beta.git("checkout", "--quiet", "-b", "broken");
    beta.commit({ "composer.json": "{ this is not json" });
    beta.tag("v1.0.1");

    const gamma = new GitFixture(path.join(root, "src/gamma"));
    gamma.commit({ "composer.json": { name: "other/gamma" } });
    gamma.tag("2.0.0");

    for (const name of ["alpha", "beta", "gamma"]) {
      const added = brokerJson<{ id: string }>(
        ["repo", "add", "--type", "git", "--url", path.join(root, "src", name)],
        env,
      );
      expect(added.id).toMatch(/^[0-9A-Z]{26}$/);
      const synced = brokerJson<SyncResult>(["repo", "sync", added.id], env);
      expect(synced.status).toBe("succeeded");
    }
    readToken = brokerJson<{ token: string }>(["token", "create", "--description", "developer"], env).token;
    limitedToken = brokerJson<{ token: string }>(
      ["token", "create", "--description", "customer", "--packages", "acme/a*"],
      env,
    ).token;
    server = await BrokerServer.start(env, port);
  }, 240_000);

  afterAll(async () => {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const project = (name: string, require: Record<string, string>, extra: object = {}): ComposerProject => {
    const dir = path.join(root, "projects", name);
    fs.mkdirSync(dir, { recursive: true });
    return new ComposerProject(dir, server.url, require, extra);
  };

  it("records skipped refs with their reasons", () => {
    const repos = brokerJson<{ id: string; name: string }[]>(["repo", "list"], env);
    const beta = repos.find((r) => r.name === "beta");
    const again = brokerJson<SyncResult>(["repo", "sync", beta?.id ?? ""], env);
    expect(again.details.added).toEqual([]);
    expect(again.details.skipped.map((s) => s.ref)).toContain("refs/tags/v1.0.1");
    expect(again.details.skipped.find((s) => s.ref === "refs/tags/v1.0.1")?.reason).toMatch(/not valid JSON/);
  });

  it("installs from dists with HTTP Basic auth, and counts the installs", () => {
    const app = project("basic", { "acme/beta": "^1.0" });
    app.useBasicToken(hostPort, readToken);
    const run = app.run("install");
    expect(run.status, run.output).toBe(0);
    const installed = app.installed();
    expect(installed.get("acme/beta")).toEqual({ version: "v1.0.0", installationSource: "dist" });
    expect(installed.get("acme/alpha")).toEqual({ version: "v1.1.0", installationSource: "dist" });

    const db = new Database(path.join(env.PB_DATA_DIR ?? "", "broker.sqlite"), { readonly: true });
    const counts = db
      .prepare("select package_name, version_normalized, count from install_counts order by package_name")
      .all();
    db.close();
    expect(counts).toEqual([
      { package_name: "acme/alpha", version_normalized: "1.1.0.0", count: 1 },
      { package_name: "acme/beta", version_normalized: "1.0.0.0", count: 1 },
    ]);
  });

  it("installs with Bearer auth", () => {
    const app = project("bearer", { "acme/alpha": "^1.0" });
    app.useBearerToken(hostPort, readToken);
    const run = app.run("install");
    expect(run.status, run.output).toBe(0);
    expect(app.installed().get("acme/alpha")?.installationSource).toBe("dist");
  });

  it("resolves a branch through its branch-alias", () => {
    const app = project("dev", { "acme/alpha": "1.x-dev" }, { "minimum-stability": "dev" });
    app.useBasicToken(hostPort, readToken);
    const run = app.run("install");
    expect(run.status, run.output).toBe(0);
    expect(app.installed().get("acme/alpha")).toEqual({ version: "dev-main", installationSource: "dist" });
  });

  it("picks up a new tag after a re-sync", () => {
    const app = project("update", { "acme/alpha": "^1.0" });
    app.useBasicToken(hostPort, readToken);
    expect(app.run("install").status).toBe(0);
    expect(app.installed().get("acme/alpha")?.version).toBe("v1.1.0");

    alpha.commit({ "src/Alpha.php": "<?php namespace Acme\\Alpha; class Alpha { const V = 12; }\n" });
    alpha.tag("v1.2.0");
    const repos = brokerJson<{ id: string; name: string }[]>(["repo", "list"], env);
    const synced = brokerJson<SyncResult>(
      ["repo", "sync", repos.find((r) => r.name === "alpha")?.id ?? ""],
      env,
    );
    expect(synced.details.added).toContain("acme/alpha v1.2.0");

    const run = app.run("update");
    expect(run.status, run.output).toBe(0);
    expect(app.installed().get("acme/alpha")?.version).toBe("v1.2.0");
  });

  it("installs from composer.lock with an empty cache by downloading only dists", async () => {
    const app = project("locked", { "acme/beta": "^1.0" });
    app.useBasicToken(hostPort, readToken);
    const first = server.logLines.length;
    expect(app.run("install").status).toBe(0);
    await server.waitForRequest(first, "POST /downloads 200");
    app.clearVendorAndCache();
    const mark = server.logLines.length;
    const run = app.run("install");
    expect(run.status, run.output).toBe(0);
    await server.waitForRequest(mark, "POST /downloads 200");
    const requests = server.requestsSince(mark);
    expect(requests.filter((r) => r.startsWith("GET /dists/")).length).toBe(2);
    expect(requests.every((r) => r.startsWith("GET /dists/") || r === "POST /downloads 200")).toBe(true);
  });

  it("fails with our warning for a wrong token", () => {
    const app = project("wrong", { "acme/alpha": "^1.0" });
    app.useBasicToken(hostPort, "pb_wrongwrongwrongwrongwrongwrongwrong000000");
    const run = app.run("install");
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/Warning from .*: The token is not valid/i);
  });

  it("fails with our warning for an expired token", () => {
    const created = brokerJson<{ id: string; token: string }>(
      ["token", "create", "--description", "soon expired", "--expires", "1d"],
      env,
    );
    const db = new Database(path.join(env.PB_DATA_DIR ?? "", "broker.sqlite"));
    db.prepare("update tokens set expires_at = ? where id = ?").run("2026-11-01T00:00:00.000Z", created.id);
    db.close();
    const app = project("expired", { "acme/alpha": "^1.0" });
    app.useBasicToken(hostPort, created.token);
    const run = app.run("install");
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/Warning from .*: token expired on 2026-11-01/);
  });

  it("refuses a revoked token on its next request", async () => {
    const created = brokerJson<{ id: string; token: string }>(
      ["token", "create", "--description", "to revoke"],
      env,
    );
    const auth = { authorization: `Bearer ${created.token}` };
    expect((await fetch(`${server.url}/packages.json`, { headers: auth })).status).toBe(200);
    expect(runBrokerCli(["token", "revoke", created.id], env).status).toBe(0);
    const refused = await fetch(`${server.url}/packages.json`, { headers: auth });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { warning: string }).warning).toMatch(/revoked/);
  });

  it("shows a token limited to acme/a* only those packages", async () => {
    const auth = { authorization: `Basic ${Buffer.from(`token:${limitedToken}`).toString("base64")}` };
    const root = (await (await fetch(`${server.url}/packages.json`, { headers: auth })).json()) as {
      "available-packages": string[];
    };
    expect(root["available-packages"]).toEqual(["acme/alpha"]);
    expect((await fetch(`${server.url}/p2/acme/beta.json`, { headers: auth })).status).toBe(403);
    expect((await fetch(`${server.url}/p2/other/gamma.json`, { headers: auth })).status).toBe(403);
    expect((await fetch(`${server.url}/p2/acme/alpha.json`, { headers: auth })).status).toBe(200);

    const full = { authorization: `Bearer ${readToken}` };
    const beta = (await (await fetch(`${server.url}/p2/acme/beta.json`, { headers: full })).json()) as {
      packages: Record<string, { dist: { url: string } }[]>;
    };
    const distUrl = beta.packages["acme/beta"]?.[0]?.dist.url ?? "";
    expect(distUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dists\/acme\/beta\//);
    expect((await fetch(distUrl, { headers: full })).status).toBe(200);
    expect((await fetch(distUrl, { headers: auth })).status).toBe(403);

    const app = project("limited", { "acme/alpha": "^1.0" });
    app.useBasicToken(hostPort, limitedToken);
    const run = app.run("install");
    expect(run.status, run.output).toBe(0);
  });
});
