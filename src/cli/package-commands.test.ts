import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageZip } from "../../test/builders/test-runtime.ts";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import { createAccessGrant } from "../access/access-grant.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

async function json<T>(args: readonly string[]): Promise<T> {
  const run = await cli([...args, "--json"]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function upload(name: string, version: string, composer: object = {}): Promise<void> {
  const file = path.join(root, `${name.replace("/", "-")}-${version}.zip`);
  fs.writeFileSync(file, packageZip(name, version, { composer }));
  const run = await cli(["package", "upload", file]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-package-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("package-broker package list and show", () => {
  it("says there are no packages yet", async () => {
    const run = await cli(["package", "list"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^No packages yet\./);
    expect(await json<unknown[]>(["package", "list"])).toEqual([]);
  });

  it("lists every package with its latest stable version and downloads, and searches names", async () => {
    await upload("acme/alpha", "1.0.0", { description: "First" });
    await upload("acme/alpha", "1.1.0", { description: "First, better", require: { php: ">=8.2" } });
    await upload("acme/alpha", "2.0.0-beta1");
    await upload("other/gamma", "0.1.0", {
      description: "Tricky \u001b[31mred\u001b[0m\nsecond line \u202e",
    });
    const logger = createLogger({ level: "silent", destination: { write: () => undefined } });
    const runtime = await openRuntime(loadConfig(env), logger);
    try {
      const grant = createAccessGrant({
        tokenId: "t",
        fingerprint: "t",
        scopes: ["read"],
        packagePatterns: [],
      });
      await runtime.installs.record(
        {
          downloads: [
            { name: "acme/alpha", version: "1.1.0.0" },
            { name: "acme/alpha", version: "1.0.0.0" },
          ],
        },
        grant,
      );
    } finally {
      await runtime.close();
    }

    const all = await json<{ name: string; latestVersion: string | null; downloads: number }[]>([
      "package",
      "list",
    ]);
    expect(all.map((p) => [p.name, p.latestVersion, p.downloads])).toEqual([
      ["acme/alpha", "1.1.0", 2],
      ["other/gamma", "0.1.0", 0],
    ]);
    const found = await json<{ name: string }[]>(["package", "list", "--query", "GAM"]);
    expect(found.map((p) => p.name)).toEqual(["other/gamma"]);

    const human = await cli(["package", "list"]);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^NAME\s+LATEST\s+VERSIONS\s+DOWNLOADS\s+ORIGIN\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(/^acme\/alpha\s+1\.1\.0\s+3\s+2\s+upload\s+First, better$/);
    // Metadata from an upload never reaches the terminal as control characters.
    expect(lines[2]).toMatch(
      /^other\/gamma\s+0\.1\.0\s+1\s+0\s+upload\s+Tricky \?\[31mred\?\[0m\?second line \?$/,
    );

    const none = await cli(["package", "list", "--query", "nothing"]);
    expect(none.stdout).toBe('No package name contains "nothing".\n');
  });

  it("shows a package with its versions newest first", async () => {
    const details = await json<{
      name: string;
      latestVersion: string;
      latest: { require: Record<string, string> };
      versions: { version: string; downloads: number }[];
    }>(["package", "show", "acme/alpha"]);
    expect(details).toMatchObject({
      name: "acme/alpha",
      latestVersion: "1.1.0",
      latest: { require: { php: ">=8.2" } },
    });
    expect(details.versions.map((v) => [v.version, v.downloads])).toEqual([
      ["2.0.0-beta1", 0],
      ["1.1.0", 1],
      ["1.0.0", 1],
    ]);

    const human = await cli(["package", "show", "acme/alpha"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("acme/alpha: First, better\n");
    expect(human.stdout).toContain("Latest stable: 1.1.0; 3 version(s), 2 download(s)\n");
    expect(human.stdout).toContain("Requires (1.1.0): php >=8.2\n");
    expect(human.stdout).toMatch(
      /\nVERSION\s+STABILITY\s+ORIGIN\s+DOWNLOADS\s+TIME\s+REFERENCE\n2\.0\.0-beta1\s+beta\s+upload\s+0\s/,
    );
  });

  it("answers an unknown or invalid package with PackageNotFound", async () => {
    for (const name of ["acme/nope", "not a name", "../../etc/passwd"]) {
      const run = await cli(["package", "show", name]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/\[PackageNotFound\]\n$/);
    }
  });
});
