import type { Redis } from "ioredis";
import { metadataDocument, type MetadataDocument } from "../catalog/metadata-document.ts";
import { redisScript, runScript } from "../redis/run-script.ts";
import type { MetadataCache, MetadataKey } from "./metadata-cache.ts";
import { quitRedisClient } from "../redis/quit-redis-client.ts";

/** Every key of the metadata cache in Redis starts with this. */
export const METADATA_KEY_PREFIX = "pb:md:";

/** How an entry starts: a format version, so that a later format is never misread. */
const FORMAT = "pbmd1";

/**
 * GET, unless the key holds something else than a string or more than ARGV[1] bytes: such an
 * entry was not written by us (or by a node with a larger cap), so it is deleted, and -1 returned.
 */
const READ = redisScript(`
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return false end
if kind ~= 'string' or redis.call('STRLEN', KEYS[1]) > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return -1
end
return redis.call('GET', KEYS[1])
`);

/** Deletes every entry the package's index names, and the index. */
const INVALIDATE = redisScript(`
local keys = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(keys) do redis.call('DEL', key) end
redis.call('DEL', KEYS[1])
return #keys
`);

export interface RedisMetadataCacheOptions {
  readonly client: Redis;
  /** How long an entry lives unless the package changes first. */
  readonly ttlMs?: number;
  /** Larger documents are not shared (each node keeps its own copy). */
  readonly maxEntryBytes?: number;
  readonly ownsClient?: boolean;
}

/**
 * Rendered documents shared by the nodes: `pb:md:{<package>}:<variant>:<stamp>` holds
 * `pbmd1\n<etag>\n<last-modified ms>\n<body>`, with a TTL; `pb:md:{<package>}:keys` indexes a
 * package's entries for invalidation (the braces keep a package's keys in one Redis Cluster slot).
 * A read checks the body against its ETag (the body's hash), so a truncated or tampered entry is
 * dropped and the document rendered again, never served.
 */
export class RedisMetadataCache implements MetadataCache {
  readonly #client: Redis;
  readonly #ttlMs: number;
  readonly #maxEntryBytes: number;
  readonly #ownsClient: boolean;

  constructor(options: RedisMetadataCacheOptions) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? 6 * 60 * 60 * 1000;
    this.#maxEntryBytes = options.maxEntryBytes ?? 8 * 1024 * 1024;
    this.#ownsClient = options.ownsClient ?? true;
  }

  async get(key: MetadataKey): Promise<MetadataDocument | undefined> {
    const entryKey = metadataEntryKey(key);
    const reply = await runScript(this.#client, READ, [entryKey], [String(this.#maxEntryBytes)]);
    if (typeof reply !== "string") return undefined;
    const document = decode(reply);
    if (document === undefined) await this.#client.del(entryKey);
    return document;
  }

  async set(key: MetadataKey, document: MetadataDocument): Promise<void> {
    const value = `${FORMAT}\n${document.etag}\n${document.lastModified.getTime()}\n${document.body}`;
    if (Buffer.byteLength(value) > this.#maxEntryBytes) return;
    const entryKey = metadataEntryKey(key);
    const index = indexOf(key.packageName);
    await this.#client
      .multi()
      .set(entryKey, value, "PX", this.#ttlMs)
      .sadd(index, entryKey)
      .pexpire(index, this.#ttlMs)
      .exec();
  }

  async invalidate(packageName: string): Promise<void> {
    await runScript(this.#client, INVALIDATE, [indexOf(packageName)], []);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await quitRedisClient(this.#client);
  }
}

/** The Redis key of one document. */
export function metadataEntryKey(key: MetadataKey): string {
  return `${METADATA_KEY_PREFIX}{${key.packageName}}:${key.variant}:${key.stamp}`;
}

function indexOf(packageName: string): string {
  return `${METADATA_KEY_PREFIX}{${packageName}}:keys`;
}

/** The document an entry holds, or undefined when it is not one of ours or does not match its ETag. */
function decode(value: string): MetadataDocument | undefined {
  const first = value.indexOf("\n");
  const second = value.indexOf("\n", first + 1);
  const third = value.indexOf("\n", second + 1);
  if (first < 0 || second < 0 || third < 0 || value.slice(0, first) !== FORMAT) return undefined;
  const etag = value.slice(first + 1, second);
  const lastModified = Number(value.slice(second + 1, third));
  if (!Number.isSafeInteger(lastModified) || lastModified < 0) return undefined;
  const document = metadataDocument(value.slice(third + 1), new Date(lastModified).toISOString());
  return document.etag === etag ? document : undefined;
}
