import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** A Lua script and its SHA-1, for EVALSHA. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

export function redisScript(source: string): RedisScript {
  return { source, sha1: createHash("sha1").update(source).digest("hex") };
}

/** EVALSHA, and EVAL once when the server does not know the script yet (NOSCRIPT). */
export async function runScript(
  client: Redis,
  script: RedisScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}
