import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/clock.ts";
import { createLogger } from "../observability/logger.ts";
import { openRateLimits } from "../rate-limit/open-rate-limits.ts";
import { TestRuntime } from "../../test/builders/test-runtime.ts";
import { freePort } from "../../test/support/free-port.ts";
import { requireRedisServer, startRedisServer, type RedisServer } from "../../test/support/redis-server.ts";

const run = requireRedisServer();
const METRICS_TOKEN = "metrics-scraper-token-0123456789";

describe.runIf(run)("rate limits shared through Redis", () => {
  let redis: RedisServer;
  const runtimes: TestRuntime[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  afterEach(async () => {
    // Later runtimes share the first one's database: they go first.
    for (const runtime of runtimes.splice(0).reverse()) await runtime.cleanup();
  });

  const start = async (env: Record<string, string>, fileDatabase = false): Promise<TestRuntime> => {
    const runtime = await TestRuntime.start({ env, fileDatabase });
    runtimes.push(runtime);
    return runtime;
  };

  it("lets two nodes sharing one Redis share a token's budget", async () => {
    const env = { PB_REDIS_URL: redis.url, PB_RATE_LIMIT_REQUESTS: "4" };
    const first = await start(env, true);
    const dataDir = first.config.dataDir;
    const second = await start({
      ...env,
      PB_DATA_DIR: dataDir,
      PB_DATABASE_URL: path.join(dataDir, "broker.sqlite"),
    });
    const { token } = await first.createToken();
    expect((await first.request("/packages.json", { token })).headers.get("ratelimit-remaining")).toBe("3");
    expect((await second.request("/packages.json", { token })).headers.get("ratelimit-remaining")).toBe("2");
    expect((await first.request("/packages.json", { token })).status).toBe(200);
    expect((await second.request("/packages.json", { token })).status).toBe(200);
    for (const node of [first, second]) {
      const refused = await node.request("/packages.json", { token });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("15");
    }
    const keys = await withClient(redis, (client) => client.keys("pb:rl:*"));
    expect(keys.some((key) => key.startsWith("pb:rl:token:"))).toBe(true);
    expect(keys.join(" ")).not.toContain(token);
  });

  it("lets requests through, unchecked, when Redis stops, and says so in the log and the metrics", async () => {
    const own = await startRedisServer();
    try {
      const rt = await start({
        PB_REDIS_URL: own.url,
        PB_RATE_LIMIT_REQUESTS: "2",
        PB_METRICS_TOKEN: METRICS_TOKEN,
      });
      const { token } = await rt.createToken();
      expect((await rt.request("/packages.json", { token })).headers.get("ratelimit-remaining")).toBe("1");
      await own.stop();
      for (let i = 0; i < 5; i++) {
        const response = await rt.request("/packages.json", { token });
        expect(response.status).toBe(200);
        expect(response.headers.get("ratelimit-limit")).toBeNull();
      }
      const unchecked = rt.logLines.filter((line) =>
        String(line.message).startsWith("Rate limits not checked"),
      );
      expect(unchecked).toMatchObject([{ level: "warn" }]);
      const metrics = await rt.request("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(await metrics.text()).toMatch(/^pb_rate_limit_unchecked_requests_total 5$/m);
    } finally {
      await own.stop();
    }
  });

  it("starts with a Redis that is down, logs a warning without the password, and serves", async () => {
    const port = await freePort();
    const url = `redis://:s3cret-pw@127.0.0.1:${port}/0`;
    const rt = await start({ PB_REDIS_URL: url, PB_RATE_LIMIT_REQUESTS: "2" });
    const { token } = await rt.createToken();
    for (let i = 0; i < 4; i++) {
      const response = await rt.request("/packages.json", { token });
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit-limit")).toBeNull();
    }
    // TestRuntime forgets the log of its start: the same start, with its log kept.
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: "info",
      destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const limits = await openRateLimits(
      { redisUrl: url, rateLimit: { requests: 2, windowMs: 60_000 } },
      new ManualClock(),
      logger,
    );
    try {
      expect(await limits?.check("k")).toBeNull();
      expect(lines.map((line) => line.message)).toEqual([
        "Redis unreachable",
        "Rate limits not checked: requests are let through until the limiter answers",
      ]);
      expect(lines[0]).toMatchObject({ level: "warn", context: { url: `redis://:***@127.0.0.1:${port}/0` } });
      expect(JSON.stringify(lines)).not.toContain("s3cret-pw");
    } finally {
      await limits?.close();
    }
  });
});

async function withClient<T>(
  redis: RedisServer,
  work: (client: ReturnType<RedisServer["client"]>) => Promise<T>,
): Promise<T> {
  const client = redis.client();
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}
