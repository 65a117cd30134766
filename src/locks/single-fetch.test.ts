import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRedisServer, startRedisServer, type RedisServer } from "../../test/support/redis-server.ts";
import { createLogger } from "../observability/logger.ts";
import { createRedisClient, firstConnection } from "../redis/create-redis-client.ts";
import { InProcessLocks } from "./in-process-locks.ts";
import { RedisLocks } from "./redis-locks.ts";
import { SingleFetch } from "./single-fetch.ts";

/** A slow upstream and the store both nodes read: counts how often it was really asked. */
function fakeUpstream(): {
  fetched: () => number;
  stored: () => Promise<string | null>;
  fetch: () => Promise<string>;
  release: () => void;
} {
  let count = 0;
  let store: string | null = null;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    fetched: () => count,
    stored: () => Promise.resolve(store),
    fetch: async () => {
      count += 1;
      await gate;
      store = `document ${count}`;
      return store;
    },
    release: () => {
      open();
    },
  };
}

describe("SingleFetch in one process", () => {
  it("runs one fetch for concurrent callers of the same key", async () => {
    const single = new SingleFetch({ locks: new InProcessLocks() });
    const upstream = fakeUpstream();
    const answers = Promise.all(
      Array.from({ length: 5 }, () => single.run("k", upstream.stored, upstream.fetch)),
    );
    upstream.release();
    expect(await answers).toEqual(Array(5).fill("document 1"));
    expect(upstream.fetched()).toBe(1);
  });

  it("ifFree runs work only where no other holder has the lock, and runs it when the locks fail", async () => {
    const locks = new InProcessLocks();
    const [nodeA, nodeB] = [new SingleFetch({ locks }), new SingleFetch({ locks })];
    const ran: string[] = [];
    let finish!: () => void;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    const first = nodeA.ifFree("revalidate", async () => {
      ran.push("a");
      await slow;
    });
    await nodeB.ifFree("revalidate", () => {
      ran.push("b");
      return Promise.resolve();
    });
    finish();
    await first;
    expect(ran).toEqual(["a"]);
    // Freed once the holder is done: the next revalidation runs.
    await nodeB.ifFree("revalidate", () => {
      ran.push("b");
      return Promise.resolve();
    });
    expect(ran).toEqual(["a", "b"]);

    const broken = new SingleFetch({
      locks: {
        tryAcquire: () => Promise.reject(new Error("redis down")),
        close: () => Promise.resolve(),
      },
    });
    await broken.ifFree("revalidate", () => {
      ran.push("uncoordinated");
      return Promise.resolve();
    });
    expect(ran.at(-1)).toBe("uncoordinated");
    expect(broken.uncoordinated).toBe(1);
  });

  it("passes a failed fetch to every waiting caller, and the next call tries again", async () => {
    const single = new SingleFetch();
    let calls = 0;
    const failing = (): Promise<string> => {
      calls += 1;
      return Promise.reject(new Error("upstream down"));
    };
    const results = await Promise.allSettled([
      single.run("k", () => Promise.resolve(null), failing),
      single.run("k", () => Promise.resolve(null), failing),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    await expect(
      single.run(
        "k",
        () => Promise.resolve(null),
        () => Promise.resolve("ok"),
      ),
    ).resolves.toBe("ok");
  });
});

const run = requireRedisServer();

describe.runIf(run)("SingleFetch across nodes sharing redis-server", () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  const node = (options: { waitMs?: number; leaseMs?: number } = {}): SingleFetch =>
    new SingleFetch({ locks: new RedisLocks({ client: redis.client() }), pollMs: 10, ...options });

  it("lets one node fetch while the others wait and read what it stored", async () => {
    const nodes = [node(), node(), node()];
    const upstream = fakeUpstream();
    try {
      const answers = Promise.all(nodes.map((n) => n.run("doc:a", upstream.stored, upstream.fetch)));
      await expect.poll(() => upstream.fetched()).toBe(1);
      upstream.release();
      expect(await answers).toEqual(["document 1", "document 1", "document 1"]);
      expect(upstream.fetched()).toBe(1);
      expect(nodes.map((n) => n.uncoordinated)).toEqual([0, 0, 0]);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  it("fetches itself when the holder takes longer than the wait", async () => {
    const [first, second] = [node(), node({ waitMs: 50 })];
    const upstream = fakeUpstream();
    try {
      const held = first.run("doc:b", upstream.stored, upstream.fetch);
      await expect.poll(() => upstream.fetched()).toBe(1);
      const own = second.run("doc:b", upstream.stored, upstream.fetch);
      await expect.poll(() => upstream.fetched()).toBe(2);
      upstream.release();
      await Promise.all([held, own]);
      expect(second.uncoordinated).toBe(1);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("takes over the lock of a holder that died once its lease expired", async () => {
    const dead = new RedisLocks({ client: redis.client() });
    const alive = node({ waitMs: 60_000 });
    try {
      expect(await dead.tryAcquire("doc:c", 100)).not.toBeNull();
      await dead.close();
      const answer = await alive.run(
        "doc:c",
        () => Promise.resolve(null),
        () => Promise.resolve("fetched"),
      );
      expect(answer).toBe("fetched");
      expect(alive.uncoordinated).toBe(0);
    } finally {
      await alive.close();
    }
  });

  it("fetches without the lock when Redis stops, and logs it once", async () => {
    const own = await startRedisServer();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: "info",
      destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const client = createRedisClient(own.url, logger);
    await firstConnection(client, 5_000);
    const single = new SingleFetch({ locks: new RedisLocks({ client }), logger });
    try {
      expect(
        await single.run(
          "x",
          () => Promise.resolve(null),
          () => Promise.resolve(1),
        ),
      ).toBe(1);
      await own.stop();
      for (let i = 0; i < 3; i++) {
        expect(
          await single.run(
            `y${i}`,
            () => Promise.resolve(null),
            () => Promise.resolve(2),
          ),
        ).toBe(2);
      }
      expect(single.uncoordinated).toBe(3);
      expect(lines.filter((l) => String(l.message).startsWith("Shared locks unavailable"))).toMatchObject([
        { level: "warn" },
      ]);
    } finally {
      await single.close();
    }
  });
});
