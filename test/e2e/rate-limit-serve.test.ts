import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerServer, runBrokerCli } from "../support/broker-process.ts";
import { freePort } from "../support/free-port.ts";
import { requireRedisServer, startRedisServer } from "../support/redis-server.ts";

/**
 * `package-broker serve` with rate limits as users run it: an invalid PB_REDIS_URL stops the start
 * naming the variable; a Redis that is down at startup or stops later does not stop the server,
 * it serves unchecked and says so in its log.
 */
describe("serve with PB_REDIS_URL", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const dataDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-rate-limit-serve-"));
    cleanups.push(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    return dir;
  };

  it.each([
    ["http://127.0.0.1:6379", "must be redis://"],
    ["redis://127.0.0.1:70000", "must be redis://"],
  ])("refuses to start with PB_REDIS_URL=%s", (url, message) => {
    const result = runBrokerCli(["serve"], { PB_DATA_DIR: dataDir(), PB_REDIS_URL: url });
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toContain(`PB_REDIS_URL: ${message}`);
  });

  it("starts with a Redis that is down, warns once without the password, and serves", async () => {
    const port = await freePort();
    const server = await BrokerServer.start({
      PB_DATA_DIR: dataDir(),
      PB_REDIS_URL: `redis://:hidden-pw@127.0.0.1:${port}`,
    });
    cleanups.push(() => server.stop());
    const response = await fetch(`${server.url}/packages.json`);
    expect(response.status).toBe(401);
    expect(response.headers.get("ratelimit-limit")).toBeNull();
    const warnings = server.logLines.filter((line) => line.message === "Redis unreachable");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn", context: { url: `redis://:***@127.0.0.1:${port}` } });
    expect(JSON.stringify(server.logLines)).not.toContain("hidden-pw");
  });

  it.runIf(requireRedisServer())("limits with a live Redis, and serves on when it stops", async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const server = await BrokerServer.start({
      PB_DATA_DIR: dataDir(),
      PB_REDIS_URL: redis.url,
      PB_RATE_LIMIT_REQUESTS: "3",
    });
    cleanups.push(() => server.stop());
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${server.url}/packages.json`)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    await redis.stop();
    const after = await fetch(`${server.url}/packages.json`);
    expect(after.status).toBe(401);
    expect(after.headers.get("ratelimit-limit")).toBeNull();
    expect(server.logLines.map((line) => line.message)).toContain(
      "Rate limits not checked: requests are let through until the limiter answers",
    );
  });
});
