import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Clock } from "../clock/clock.ts";
import { gcraParameters } from "./gcra.ts";
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from "./rate-limiter.ts";
import { quitRedisClient } from "../redis/quit-redis-client.ts";

/** Every key of the rate limits in Redis starts with this. */
export const RATE_LIMIT_KEY_PREFIX = "pb:rl:";

/**
 * gcra.ts's step, atomically in Redis: read the TAT, decide, store the new TAT with an expiry at
 * the moment the key's budget is whole again. All numbers are whole microseconds, which a Lua
 * number (a double) holds exactly; SET is given the TAT formatted without an exponent.
 * Returns {allowed, remaining, reset µs, retry-after µs}.
 */
const GCRA_SCRIPT = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = now
if stored ~= nil and stored > now and stored - now <= 2 * tolerance then
  tat = math.min(stored, now + tolerance)
end
local new_tat = tat + interval
if new_tat - now > tolerance then
  return {0, 0, tat - now, new_tat - tolerance - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((tolerance - (new_tat - now)) / interval), new_tat - now, 0}
`;

const GCRA_SHA1 = createHash("sha1").update(GCRA_SCRIPT).digest("hex");

/**
 * Rate limits every node shares: one Redis key per limited key (`pb:rl:<key>`), updated by one
 * Lua script, so parallel requests on any number of nodes never let more through than the policy.
 * Time is the node's clock (passed to the script), so nodes need synchronised clocks (NTP); a skew
 * of s seconds moves a key's budget by s seconds at most.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly policy: RateLimitPolicy;
  readonly #client: Redis;
  readonly #clock: Clock;
  readonly #ownsClient: boolean;

  constructor(options: { client: Redis; policy: RateLimitPolicy; clock: Clock; ownsClient?: boolean }) {
    this.policy = options.policy;
    this.#client = options.client;
    this.#clock = options.clock;
    this.#ownsClient = options.ownsClient ?? true;
  }

  async hit(key: string): Promise<RateLimitDecision> {
    const { intervalUs, toleranceUs } = gcraParameters(this.policy);
    const args = [
      `${RATE_LIMIT_KEY_PREFIX}${key}`,
      String(this.#clock.now().getTime() * 1000),
      String(intervalUs),
      String(toleranceUs),
    ];
    const reply = await this.#run(args);
    const [allowed, remaining, resetUs, retryUs] = parseReply(reply);
    return {
      allowed: allowed === 1,
      limit: this.policy.limit,
      remaining,
      resetMs: Math.ceil(resetUs / 1000),
      retryAfterMs: Math.ceil(retryUs / 1000),
    };
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await quitRedisClient(this.#client);
  }

  /** EVALSHA, and EVAL once when the server does not know the script yet (NOSCRIPT). */
  async #run(args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(GCRA_SHA1, 1, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return this.#client.eval(GCRA_SCRIPT, 1, ...args);
    }
  }
}

function parseReply(reply: unknown): [number, number, number, number] {
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((n) => typeof n === "number")) {
    throw new Error(`unexpected reply from the rate limit script: ${JSON.stringify(reply)}`);
  }
  return reply as [number, number, number, number];
}
