import type { Redis } from "ioredis";

/** Closes a client politely (QUIT, letting pending replies arrive), or at once when Redis is gone. */
export async function quitRedisClient(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
