import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BROKER_BIN } from "../support/broker-process.ts";
import { freePort } from "../support/free-port.ts";

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `serve` (the compiled command); `onLine` sees each stdout line and may signal the process.
 * Fails the test if it has not ended within 30 s (a hang).
 */
async function serve(
  env: Record<string, string>,
  onLine: (line: string, pid: number) => void,
): Promise<Ended> {
  const child = spawn(process.execPath, [BROKER_BIN, "serve"], {
    env: { PATH: process.env.PATH, PB_HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.split("\n")) if (line !== "") onLine(line, child.pid ?? 0);
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once("exit", (exitCode, exitSignal) => {
      resolve([exitCode, exitSignal]);
    });
  });
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

describe("serve when it cannot start, or is stopped while starting", () => {
  let root: string;
  let env: Record<string, string>;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-serve-start-"));
    env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("exits with a clear error, not a hang, when its port is taken", async () => {
    const taken = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", resolve));
    try {
      const ended = await serve({ ...env, PB_PORT: String(port) }, () => undefined);
      expect(ended.signal).toBeNull();
      expect(ended.code).toBe(1);
      expect(ended.stderr).toContain(
        `error: cannot listen on 127.0.0.1:${port}: the address is in use (another server, or a previous run still stopping); choose another with PB_HOST / PB_PORT [ListenFailed]`,
      );
      expect(ended.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("stops cleanly on a SIGTERM that arrives while it starts (after its migrations, before it listens)", async () => {
    const port = await freePort();
    let sent = false;
    const ended = await serve({ ...env, PB_PORT: String(port) }, (line, pid) => {
      if (!sent && line.includes('"message":"Database migrations applied"')) {
        sent = true;
        process.kill(pid, "SIGTERM");
      }
    });
    expect(sent).toBe(true);
    expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });
    expect(ended.stdout).toContain('"message":"Server stopping"');
  });
});
