import { Redis } from "ioredis";
import { redactUrlPassword } from "../config/redact-url-password.ts";
import type { Logger } from "../observability/logger.ts";
import { logRedisConnected, logRedisUnavailable } from "../observability/log-events.ts";

/**
 * A client for PB_REDIS_URL that never makes a request wait for Redis: commands fail at once
 * while the connection is down (no offline queue, no retries of a command) or after a second of
 * silence, and the client keeps reconnecting in the background (up to every 5 s). Losing and
 * regaining the connection are logged once each, with the password redacted.
 */
export function createRedisClient(url: string, logger: Logger): Redis {
  const shown = redactUrlPassword(url);
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 250, 5000),
  });
  let up = false;
  let warned = false;
  client.on("ready", () => {
    up = true;
    warned = false;
    logRedisConnected(logger, { url: shown });
  });
  client.on("error", (error: Error) => {
    if (warned) return;
    warned = true;
    up = false;
    logRedisUnavailable(logger, { url: shown, error: error.message });
  });
  client.on("close", () => {
    if (up) {
      up = false;
      warned = true;
      logRedisUnavailable(logger, { url: shown, error: "connection closed" });
    }
  });
  return client;
}

/**
 * Resolves once the client's first connection attempt is over: true when it is ready, false when
 * it failed or took longer than `timeoutMs` (the client keeps trying in the background).
 */
export function firstConnection(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ready: boolean): void => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
      resolve(ready);
    };
    const onReady = (): void => {
      settle(true);
    };
    const onError = (): void => {
      settle(false);
    };
    const timer = setTimeout(() => {
      settle(false);
    }, timeoutMs);
    client.once("ready", onReady);
    client.once("error", onError);
  });
}
