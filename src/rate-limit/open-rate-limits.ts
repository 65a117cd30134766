import type { Clock } from "../clock/clock.ts";
import type { Config } from "../config/load-config.ts";
import type { Logger } from "../observability/logger.ts";
import { createRedisClient, firstConnection } from "../redis/create-redis-client.ts";
import { FailOpenRateLimits } from "./fail-open-rate-limits.ts";
import { InProcessRateLimiter } from "./in-process-rate-limiter.ts";
import { RedisRateLimiter } from "./redis-rate-limiter.ts";

/** How long a start waits for Redis before it serves with rate limits unchecked. */
const CONNECT_WAIT_MS = 2000;

/**
 * The rate limits the configuration asks for: none (PB_RATE_LIMIT_REQUESTS=0), shared through
 * Redis (PB_REDIS_URL), or counted in this process. Waits for the first connection to Redis
 * (at most CONNECT_WAIT_MS), never for Redis itself: a Redis that is down at startup is logged,
 * and requests go through unchecked until it answers.
 */
export async function openRateLimits(
  config: Pick<Config, "rateLimit" | "redisUrl">,
  clock: Clock,
  logger: Logger,
): Promise<FailOpenRateLimits | null> {
  if (config.rateLimit.requests === 0) return null;
  const policy = { limit: config.rateLimit.requests, windowMs: config.rateLimit.windowMs };
  if (config.redisUrl === null) {
    return new FailOpenRateLimits(new InProcessRateLimiter({ policy, clock }), logger);
  }
  const client = createRedisClient(config.redisUrl, logger);
  await firstConnection(client, CONNECT_WAIT_MS);
  return new FailOpenRateLimits(new RedisRateLimiter({ client, policy, clock }), logger);
}
