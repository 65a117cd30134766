import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BROKER_BIN } from "../support/broker-process.ts";
import { freePort } from "../support/free-port.ts";
import { DEPLOY_DIR } from "./deploy-files.ts";

const ENTRYPOINT = path.join(DEPLOY_DIR, "docker-entrypoint.sh");
const asRoot = process.getuid?.() === 0;

const folders: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

function dataFolder(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pb-entrypoint-"));
  folders.push(folder);
  return folder;
}

/** The environment of the image, pointed at this checkout's command. */
function imageEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    PACKAGE_BROKER_BIN: BROKER_BIN,
    PB_DATA_DIR: dataDir,
    PB_LOG_LEVEL: "warn",
    ...(asRoot ? { PACKAGE_BROKER_ALLOW_ROOT: "1" } : {}),
    ...extra,
  };
}

function runEntrypoint(args: readonly string[], env: Record<string, string>) {
  const result = spawnSync("sh", [ENTRYPOINT, ...args], { env, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function waitForHealth(url: string, child: ChildProcess): Promise<Response> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the entry point exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return response;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the server did not answer /health within 60 s");
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface StartedEntrypoint {
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM once the server has its signal handlers, and resolves with how it ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `sh docker-entrypoint.sh` with no argument, as the image starts, on a loopback port. */
async function startEntrypoint(dataDir: string, extra: Record<string, string>): Promise<StartedEntrypoint> {
  const port = await freePort();
  const child = spawn("sh", [ENTRYPOINT], {
    env: imageEnv(dataDir, { PB_HOST: "127.0.0.1", PB_PORT: String(port), ...extra }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child);
  return {
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      // `serve` installs its signal handlers after it prints the first-run setup link; a SIGTERM
      // before that ends the process by the signal's default action.
      await waitFor(() => stdout.includes("No administrator yet"));
      // The entry point replaced itself with the server: the signal reaches node directly.
      child.kill("SIGTERM");
      return exited;
    },
  };
}

describe("deploy/docker-entrypoint.sh", () => {
  it("is a POSIX sh script that the sh of this system accepts", () => {
    expect(fs.readFileSync(ENTRYPOINT, "utf8").split("\n")[0]).toBe("#!/bin/sh");
    expect(spawnSync("sh", ["-n", ENTRYPOINT]).status).toBe(0);
  });

  it("migrates, serves, answers /health and /ready, and stops cleanly on SIGTERM", async () => {
    const dataDir = dataFolder();
    const server = await startEntrypoint(dataDir, {});
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    expect(server.stderr()).toContain("docker-entrypoint: applying database migrations");
    expect(server.stderr()).toContain("docker-entrypoint: starting the server");
    expect(server.stdout()).toMatch(/Applied: 0001-initial/);
    expect(fs.existsSync(path.join(dataDir, "broker.sqlite"))).toBe(true);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });

  it("leaves the migration to the server with PACKAGE_BROKER_SKIP_MIGRATE=1", async () => {
    const dataDir = dataFolder();
    const server = await startEntrypoint(dataDir, { PACKAGE_BROKER_SKIP_MIGRATE: "1" });
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    expect(server.stderr()).not.toContain("applying database migrations");
    expect(server.stdout()).not.toMatch(/Applied: /);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });

  it("runs migrate as a command of its own, which finds nothing to do the second time", () => {
    const dataDir = dataFolder();
    const result = runEntrypoint(["migrate", "--json"], imageEnv(dataDir));
    expect(result.status).toBe(0);
    const first = JSON.parse(result.stdout) as { applied: string[] };
    expect(first.applied).toContain("0001-initial");
    const again = runEntrypoint(["migrate", "--json"], imageEnv(dataDir));
    expect(JSON.parse(again.stdout)).toEqual({ applied: [] });
  });

  it("migrates with MIGRATION_DATABASE_URL when it is set", () => {
    const dataDir = dataFolder();
    const ownerFile = path.join(dataDir, "owner.sqlite");
    const result = runEntrypoint(
      ["migrate"],
      imageEnv(dataDir, { MIGRATION_DATABASE_URL: `sqlite:${ownerFile}` }),
    );
    expect(result.status, result.stderr).toBe(0);
    expect(fs.existsSync(ownerFile)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, "broker.sqlite"))).toBe(false);
  });

  it("passes any other command to the package-broker CLI", () => {
    const dataDir = dataFolder();
    const help = runEntrypoint(["help"], imageEnv(dataDir));
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: package-broker");
    const unknown = runEntrypoint(["--version"], imageEnv(dataDir));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--version'");
  });

  it("names the missing command when PACKAGE_BROKER_BIN is wrong", () => {
    const dataDir = dataFolder();
    const result = runEntrypoint(["help"], imageEnv(dataDir, { PACKAGE_BROKER_BIN: "/nonexistent/cli.js" }));
    expect(result.status).toBe(69);
    expect(result.stderr).toContain("the package-broker command is not at /nonexistent/cli.js");
  });

  it("stops before the server when the migration fails", () => {
    const dataDir = dataFolder();
    const result = runEntrypoint(
      ["serve"],
      imageEnv(dataDir, { PB_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", PB_PORT: "0" }),
    );
    expect(result.status).toBe(70);
    expect(result.stderr).toContain("migrations failed; the server was not started");
  });

  describe.runIf(asRoot)("as root", () => {
    it("refuses to run without PACKAGE_BROKER_ALLOW_ROOT=1", () => {
      const dataDir = dataFolder();
      const env = imageEnv(dataDir);
      const result = runEntrypoint(
        ["help"],
        Object.fromEntries(Object.entries(env).filter(([name]) => name !== "PACKAGE_BROKER_ALLOW_ROOT")),
      );
      expect(result.status).toBe(64);
      expect(result.stderr).toContain("docker-entrypoint: refusing to run as root (uid 0)");
      expect(result.stdout).toBe("");
      expect(fs.readdirSync(dataDir)).toEqual([]);
    });

    it("runs with PACKAGE_BROKER_ALLOW_ROOT=1", () => {
      const dataDir = dataFolder();
      const result = runEntrypoint(["help"], imageEnv(dataDir, { PACKAGE_BROKER_ALLOW_ROOT: "1" }));
      expect(result.status).toBe(0);
    });
  });
});
