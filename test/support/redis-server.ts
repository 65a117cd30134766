import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./free-port.ts";
import { requireComponent } from "./required-component.ts";

const REDIS_SERVER = process.env.PB_TEST_REDIS_SERVER ?? "/usr/bin/redis-server";

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** A new client (the caller quits it). */
  client(): Redis;
  /** Stops the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return fs.existsSync(REDIS_SERVER) && spawnSync(REDIS_SERVER, ["--version"]).status === 0;
}

/** True when the suite should run; under CI=true a missing redis-server fails the suite. */
export function requireRedisServer(): boolean {
  return requireComponent(
    "redis-server",
    redisServerAvailable(),
    `install Debian's redis-server (expected at ${REDIS_SERVER}, or set PB_TEST_REDIS_SERVER)`,
  );
}

/**
 * A throwaway redis-server on a free loopback port, with no persistence, in a temporary folder.
 * Resolves once it answers PING.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-redis-"));
  const child = spawn(
    REDIS_SERVER,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForPing(url, child, () => output);
  } catch (error) {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | null = null;
  return {
    url,
    port,
    client: () => {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      // A stopped server is part of some tests: the failure shows in the commands.
      client.on("error", () => undefined);
      return client;
    },
    stop: () => {
      stopped ??= stopChild(child).finally(() => {
        fs.rmSync(dir, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}

async function waitForPing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output()}`);
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch {
      // Not listening yet.
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => {
      resolve();
    });
    child.kill("SIGKILL");
  });
}
