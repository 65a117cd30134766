import type { Config } from "../config/load-config.ts";
import { InProcessMetadataCache } from "../cache/in-process-metadata-cache.ts";
import { LayeredMetadataCache } from "../cache/layered-metadata-cache.ts";
import type { MetadataCache } from "../cache/metadata-cache.ts";
import { RedisMetadataCache } from "../cache/redis-metadata-cache.ts";
import { InProcessLocks } from "../locks/in-process-locks.ts";
import { RedisLocks } from "../locks/redis-locks.ts";
import { SingleFetch } from "../locks/single-fetch.ts";
import type { Logger } from "../observability/logger.ts";
import { createRedisClient, firstConnection } from "./create-redis-client.ts";
import { quitRedisClient } from "./quit-redis-client.ts";

/** How long a start waits for Redis before it serves with the in-process cache and locks. */
const CONNECT_WAIT_MS = 2000;

/** The metadata cache and the upstream-fetch locks, shared through Redis when configured. */
export interface SharedState {
  readonly metadataCache: MetadataCache;
  readonly singleFetch: SingleFetch;
  close(): Promise<void>;
}

/**
 * Without PB_REDIS_URL: this process's cache and locks. With it: one Redis client for both, this
 * process's documents in front of the shared ones, and locks every node sees. Waits for the first
 * connection (at most CONNECT_WAIT_MS), never for Redis itself: while it is down, documents are
 * rendered and upstreams fetched on each node, and each of the two logs a warning once.
 */
export async function openSharedState(
  config: Pick<Config, "redisUrl">,
  logger: Logger,
): Promise<SharedState> {
  if (config.redisUrl === null) {
    const singleFetch = new SingleFetch({ locks: new InProcessLocks(), logger });
    return { metadataCache: new InProcessMetadataCache(), singleFetch, close: () => singleFetch.close() };
  }
  // The rate limits' client logs losing and regaining Redis; this one's users log their own failures.
  const client = createRedisClient(config.redisUrl, logger.child({}, { level: "silent" }));
  await firstConnection(client, CONNECT_WAIT_MS);
  const metadataCache = new LayeredMetadataCache(
    new InProcessMetadataCache(),
    new RedisMetadataCache({ client, ownsClient: false }),
    logger,
  );
  const singleFetch = new SingleFetch({ locks: new RedisLocks({ client, ownsClient: false }), logger });
  return {
    metadataCache,
    singleFetch,
    close: () => quitRedisClient(client),
  };
}
