import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./load-config.ts";

describe("rate limit and Redis settings", () => {
  it("defaults to 6000 requests per 60 s, counted in the process", () => {
    const config = loadConfig({});
    expect(config.rateLimit).toEqual({ requests: 6000, windowMs: 60_000 });
    expect(config.redisUrl).toBeNull();
  });

  it("reads PB_REDIS_URL (redis:// and rediss://) and the limits; 0 turns them off", () => {
    expect(loadConfig({ PB_REDIS_URL: "redis://:secret@cache.internal:6380/2" }).redisUrl).toBe(
      "redis://:secret@cache.internal:6380/2",
    );
    expect(loadConfig({ PB_REDIS_URL: "rediss://user:pw@cache.example.com" }).redisUrl).toBe(
      "rediss://user:pw@cache.example.com",
    );
    const config = loadConfig({ PB_RATE_LIMIT_REQUESTS: "0", PB_RATE_LIMIT_WINDOW_SECONDS: "3600" });
    expect(config.rateLimit).toEqual({ requests: 0, windowMs: 3_600_000 });
  });

  it.each([
    ["PB_REDIS_URL", "http://cache.internal:6379"],
    ["PB_REDIS_URL", "redis://cache.internal:99999"],
    ["PB_REDIS_URL", "redis://cache.internal:port"],
    ["PB_REDIS_URL", "redis://"],
    ["PB_REDIS_URL", "cache.internal:6379"],
    ["PB_REDIS_URL", "redis://cache.internal/db/extra"],
    ["PB_REDIS_URL", "redis://cache.internal?password=x"],
    ["PB_RATE_LIMIT_REQUESTS", "-1"],
    ["PB_RATE_LIMIT_REQUESTS", "lots"],
    ["PB_RATE_LIMIT_REQUESTS", "1.5"],
    ["PB_RATE_LIMIT_REQUESTS", "1000001"],
    ["PB_RATE_LIMIT_WINDOW_SECONDS", "0"],
    ["PB_RATE_LIMIT_WINDOW_SECONDS", "86401"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it("never shows the Redis password in the refusal", () => {
    expect(() => loadConfig({ PB_REDIS_URL: "http://:hunter2@cache.internal" })).toThrow(
      /^(?![\s\S]*hunter2)/,
    );
  });
});
