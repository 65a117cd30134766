import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitFixture } from "../../test/builders/git-fixture.ts";
import { packageZip } from "../../test/builders/test-runtime.ts";
import { runCliCaptured, type CliRun } from "../../test/support/run-cli-captured.ts";

let root: string;
let env: Record<string, string>;
let fixture: GitFixture;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_ALLOW_PRIVATE_SOURCES: "true" };
  fixture = new GitFixture(path.join(root, "src", "gadgets"));
  fixture.commit({ "composer.json": { name: "acme/gadgets" } });
  fixture.tag("v1.0.0");
  fixture.commit({ "src/Gadget.php": "<?php\n" });
  fixture.tag("v1.1.0");
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function cli(
  args: readonly string[],
  options: { env?: Record<string, string>; isTerminal?: boolean } = {},
): Promise<CliRun> {
  return runCliCaptured(args, options.env ?? env, options);
}

async function json<T>(args: readonly string[]): Promise<T> {
  const run = await cli([...args, "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface TokenJson {
  id: string;
  token?: string;
  scopes: string[];
  packagePatterns: string[];
  expiresAt: string | null;
  revokedAt: string | null;
}

describe("migrate", () => {
  it("applies the migrations once, then has nothing to do", async () => {
    const dataDir = path.join(root, "migrate-data");
    const fresh = { ...env, PB_DATA_DIR: dataDir };
    const first = await cli(["migrate", "--json"], { env: fresh });
    expect(first.code, first.stderr).toBe(0);
    const applied = (JSON.parse(first.stdout) as { applied: string[] }).applied;
    expect(applied.length).toBeGreaterThan(0);
    const second = await cli(["migrate", "--json"], { env: fresh });
    expect(JSON.parse(second.stdout)).toEqual({ applied: [] });
    expect((await cli(["migrate"], { env: fresh })).stdout).toBe("The database is up to date.\n");
    expect(fs.existsSync(path.join(dataDir, "broker.sqlite"))).toBe(true);
  });
});

describe("token", () => {
  it("creates, lists and revokes; the secret is shown only at creation", async () => {
    const created = await json<TokenJson>([
      "token",
      "create",
      "--description",
      "deploy bot",
      "--scope",
      "write",
      "--packages",
      "acme/*,other/x",
    ]);
    expect(created.token).toMatch(/^pb_[0-9A-Za-z]{38}$/);
    expect(created).toMatchObject({
      scopes: ["write"],
      packagePatterns: ["acme/*", "other/x"],
      expiresAt: null,
    });

    const list = await cli(["token", "list", "--json"]);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(created.token ?? "");
    expect(list.stdout).not.toMatch(/"token"|hash/i);
    const tokens = JSON.parse(list.stdout) as TokenJson[];
    expect(tokens.map((t) => t.id)).toContain(created.id);

    const human = await cli(["token", "list"]);
    expect(human.stdout).toContain(created.id);
    expect(human.stdout).not.toContain(created.token ?? "");

    const revoked = await json<TokenJson>(["token", "revoke", created.id]);
    expect(revoked.revokedAt).not.toBeNull();
    expect(JSON.stringify(revoked)).not.toContain(created.token ?? "");
    expect((await cli(["token", "list"])).stdout).toMatch(new RegExp(`${created.id}.*revoked`));
  });

  it("shows the secret once in the human form too", async () => {
    const run = await cli(["token", "create", "--description", "human"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Created token [0-9A-Z]{26} \(pb_/);
    expect(run.stdout).toMatch(/\n {2}pb_[0-9A-Za-z]{38}\n/);
    expect(run.stdout).toContain("Store it now: it is not shown again.");
  });

  it("sets an expiry from --expires 30d", async () => {
    const before = Date.now();
    const created = await json<TokenJson>(["token", "create", "--description", "month", "--expires", "30d"]);
    const expires = Date.parse(created.expiresAt ?? "");
    const month = 30 * 86_400_000;
    expect(expires).toBeGreaterThanOrEqual(before + month);
    expect(expires).toBeLessThanOrEqual(Date.now() + month);
  });

  it("refuses --expires soon with exit 2 and a clear message, and creates nothing", async () => {
    const count = (await json<TokenJson[]>(["token", "list"])).length;
    const run = await cli(["token", "create", "--description", "x", "--expires", "soon"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /--expires must look like 30d, 12h, 2w, 1y or a date like 2027-01-31, not "soon"/,
    );
    expect(run.stderr).toContain("[InvalidExpiry]");
    expect((await json<TokenJson[]>(["token", "list"])).length).toBe(count);
  });

  it("refuses an unknown scope and a missing description with exit 2", async () => {
    const scope = await cli(["token", "create", "--description", "x", "--scope", "root"]);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/unknown scope "root"/);
    const missing = await cli(["token", "create"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--description/);
  });

  it("answers an unknown token id with exit 1", async () => {
    const run = await cli(["token", "revoke", "01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no token with id .*\[TokenNotFound\]/);
  });
});

describe("repo", () => {
  interface RepositoryJson {
    id: string;
    name: string;
    hasCredentials: boolean;
  }

  it("adds, lists, syncs and removes a git repository", async () => {
    const added = await json<RepositoryJson>(["repo", "add", "--url", fixture.dir]);
    expect(added).toMatchObject({ name: "gadgets", hasCredentials: false });

    const list = await json<RepositoryJson[]>(["repo", "list"]);
    expect(list.map((r) => r.id)).toContain(added.id);

    const synced = await json<{ status: string; details: { added: string[] } }>(["repo", "sync", added.id]);
    expect(synced.status).toBe("succeeded");
    expect(synced.details.added.sort()).toEqual([
      "acme/gadgets dev-main",
      "acme/gadgets v1.0.0",
      "acme/gadgets v1.1.0",
    ]);

    const again = await cli(["repo", "sync", "gadgets"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Sync finished: 0 added, 0 updated, 0 removed, 0 skipped/);

    const removed = await json<{ removedVersions: number }>(["repo", "remove", added.id]);
    expect(removed).toEqual({ removedVersions: 3 });
    expect(await json<RepositoryJson[]>(["repo", "list"])).toEqual([]);
  });

  it("adds a composer upstream with a custom header and package patterns", async () => {
    const headers: http.IncomingHttpHeaders[] = [];
    const upstream = http.createServer((request, response) => {
      headers.push(request.headers);
      response.end(JSON.stringify({ "metadata-url": "/p2/%package%.json" }));
    });
    await new Promise<void>((resolve) => {
      upstream.listen(0, "127.0.0.1", resolve);
    });
    try {
      const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      const added = await json<RepositoryJson & { type: string; packagePatterns: string[] }>([
        "repo",
        "add",
        "--type",
        "composer",
        "--url",
        url,
        "--name",
        "vendor-repo",
        "--auth-header",
        "X-Api-Key: k3y-value",
        "--packages",
        "vendor/*",
        "other/lib",
      ]);
      expect(added).toMatchObject({
        type: "composer",
        hasCredentials: true,
        packagePatterns: ["vendor/*", "other/lib"],
      });
      expect(headers[0]?.["x-api-key"]).toBe("k3y-value");
      expect(headers[0]?.via).toMatch(/\(PACKAGE\.broker\)$/);
      const sync = await cli(["repo", "sync", "vendor-repo"]);
      expect(sync.code).toBe(2);
      expect(sync.stderr).toContain("[NothingToSync]");
      expect((await cli(["repo", "list"])).stdout).toMatch(/vendor-repo {2}composer {2}new/);
      const eager = await json<{ eagerPackages: string[] }>([
        "repo",
        "update",
        "vendor-repo",
        "--eager",
        "vendor/lib",
      ]);
      expect(eager.eagerPackages).toEqual(["vendor/lib"]);
      // This upstream answers its packages.json for every path: not a p2 document.
      const eagerSync = await cli(["repo", "sync", "vendor-repo"]);
      expect(eagerSync.code).toBe(1);
      expect(eagerSync.stdout).toMatch(/^Sync failed \(full\): packages 0 fetched, 0 unchanged, 1 failed/);
      expect(eagerSync.stdout).toMatch(/failed vendor\/lib: the upstream's metadata was refused/);
      const lazy = await json<{ eagerPackages: string[] }>(["repo", "update", "vendor-repo", "--no-eager"]);
      expect(lazy.eagerPackages).toEqual([]);
      await json(["repo", "remove", added.id]);
    } finally {
      upstream.close();
    }
  });

  it("refuses conflicting or malformed composer credentials with exit 2", async () => {
    const both = await cli([
      "repo",
      "add",
      "--type",
      "composer",
      "--url",
      "http://127.0.0.1:9/",
      "--bearer-token",
      "a",
      "--credentials",
      "u:p",
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/use only one of --credentials, --ssh-key, --bearer-token and --auth-header/);
    const header = await cli([
      "repo",
      "add",
      "--type",
      "composer",
      "--url",
      "http://127.0.0.1:9/",
      "--auth-header",
      "no-colon",
    ]);
    expect(header.code).toBe(2);
    expect(header.stderr).toMatch(/--auth-header must be "Name: value"/);
    const type = await cli(["repo", "add", "--type", "svn", "--url", "http://127.0.0.1:9/"]);
    expect(type.code).toBe(2);
    expect(type.stderr).toMatch(/type must be "git" or "composer"/);
  });

  it("never lists credentials", async () => {
    const added = await json<RepositoryJson>([
      "repo",
      "add",
      "--url",
      "https://git.example.com/acme/secret.git",
      "--credentials",
      "deploy:hunter2-token",
    ]);
    expect(added.hasCredentials).toBe(true);
    const list = await cli(["repo", "list", "--json"]);
    expect(list.stdout).not.toContain("hunter2-token");
    expect((await cli(["repo", "list"])).stdout).not.toContain("hunter2-token");
    await json(["repo", "remove", added.id]);
  });

  it("draws a progress bar on stderr when it runs on a terminal", async () => {
    const added = await json<RepositoryJson>(["repo", "add", "--url", fixture.dir, "--name", "tty"]);
    const run = await cli(["repo", "sync", added.id], { isTerminal: true });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("\rFetching from the remote...");
    expect(run.stderr).toMatch(/\[=+ *\] \d+\/\d+ refs/);
    expect(run.stderr).toContain("\r\u001b[2K");
    expect(run.stdout).toMatch(/^Sync finished: 3 added/);

    const piped = await cli(["repo", "sync", added.id]);
    expect(piped.stderr).toBe("");
    await json(["repo", "remove", added.id]);
  });

  it("exits 1 when a sync fails, without changing the exit code of later commands", async () => {
    const added = await json<RepositoryJson>([
      "repo",
      "add",
      "--url",
      path.join(root, "nowhere"),
      "--name",
      "nowhere",
    ]);
    const failed = await cli(["repo", "sync", added.id]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^Sync failed: /);
    const next = await cli(["repo", "list", "--json"]);
    expect(next.code).toBe(0);
    expect(process.exitCode ?? 0).toBe(0);
    await json(["repo", "remove", added.id]);
  });

  it("refuses a bad URL with exit 2, an unknown repository with exit 1", async () => {
    const bad = await cli(["repo", "add", "--url", "ext::sh -c evil"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/transport helpers .*\[InvalidRepositoryUrl\]/);
    const both = await cli(["repo", "add", "--url", "https://example.com/x.git", "--credentials", "nocolon"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("[InvalidCredentials]");
    const unknown = await cli(["repo", "sync", "no-such-repository"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("[RepositoryNotFound]");
  });
});

describe("package upload", () => {
  it("publishes a zip, then says it was already published", async () => {
    const file = path.join(root, "gizmo.zip");
    fs.writeFileSync(file, packageZip("acme/gizmo", "1.2.3"));
    const uploaded = await json<{ packageName: string; versionNormalized: string; created: boolean }>([
      "package",
      "upload",
      file,
    ]);
    expect(uploaded).toMatchObject({
      packageName: "acme/gizmo",
      versionNormalized: "1.2.3.0",
      created: true,
    });
    const again = await cli(["package", "upload", file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("acme/gizmo 1.2.3 was already published with these exact contents\n");
  });

  it("refuses a missing file with exit 2", async () => {
    const missing = path.join(root, "missing.zip");
    const run = await cli(["package", "upload", missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: no such file: ${missing} [FileNotFound]\n`);
  });

  it("refuses a file that is not a package archive with exit 2", async () => {
    const file = path.join(root, "not-a.zip");
    fs.writeFileSync(file, "hello");
    const run = await cli(["package", "upload", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[InvalidArchive]");
  });
});

describe("usage and configuration", () => {
  it("prints help with --help and exits 0", async () => {
    const run = await cli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: package-broker/);
    for (const command of ["serve", "migrate", "repo", "token", "package"])
      expect(run.stdout).toContain(command);
  });

  it("answers an unknown command with exit 2 and the help", async () => {
    const run = await cli(["frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(run.stderr).toMatch(/Usage: package-broker/);
  });

  it("answers an unknown option with exit 2", async () => {
    const run = await cli(["token", "list", "--frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it("exits 2 naming the variable when the configuration is invalid", async () => {
    const run = await cli(["token", "list"], { env: { ...env, PB_PORT: "abc" } });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^Invalid configuration:\n {2}PB_PORT: must be a port number\n$/);
  });
});
