import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../test/builders/test-runtime.ts";
import { ComposerUpstreamDouble } from "../../test/doubles/composer-upstream-double.ts";
import { requireRedisServer, startRedisServer, type RedisServer } from "../../test/support/redis-server.ts";
import { createPostgresDatabase, testEngines } from "../../test/support/test-databases.ts";
import { metadataEntryKey } from "../cache/redis-metadata-cache.ts";
import type { VersionEntry } from "../composer/json-value.ts";
import { metadataDocument } from "./metadata-document.ts";

const run = requireRedisServer();

/**
 * Two nodes (runtimes) on one database sharing one Redis: a p2 document rendered by one is served
 * by the other from Redis, a change through one is served by the other on its next request, and a
 * cold upstream package is fetched from the upstream once, whichever nodes ask for it at once.
 */
describe.runIf(run).each(testEngines())("two nodes on one %s database sharing Redis", (engine) => {
  let redis: RedisServer;
  let shared: string;
  let first: TestRuntime;
  let second: TestRuntime;
  let admin: TestToken;
  let reader: TestToken;
  let nodeEnv: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  const startNodes = async (redisUrl: string): Promise<void> => {
    shared = fs.mkdtempSync(path.join(os.tmpdir(), "pb-shared-redis-"));
    const env = {
      PB_DATA_DIR: path.join(shared, "data"),
      PB_DATABASE_URL:
        engine === "postgres" ? await createPostgresDatabase() : path.join(shared, "data", "broker.sqlite"),
      PB_REDIS_URL: redisUrl,
      PB_RATE_LIMIT_REQUESTS: "0",
    };
    nodeEnv = env;
    first = await TestRuntime.start({ env });
    second = await TestRuntime.start({ env });
    admin = await first.createToken({ scopes: ["admin", "write", "read"] });
    reader = await first.createToken({ scopes: ["read"] });
  };

  beforeEach(async () => {
    const client = redis.client();
    await client.flushall();
    client.disconnect();
  });

  afterEach(async () => {
    await second.cleanup();
    await first.cleanup();
    fs.rmSync(shared, { recursive: true, force: true });
  });

  const p2 = (node: TestRuntime, name: string) => node.request(`/p2/${name}.json`, { token: reader.token });

  it("serves a document rendered by one node from Redis on the other", async () => {
    await startNodes(redis.url);
    await first.publish("acme/red", "1.0.0", admin.token);
    const rendered = await p2(first, "acme/red");
    expect(rendered.status).toBe(200);
    const body = await rendered.text();
    const client = redis.client();
    try {
      const keys = await client.keys("pb:md:{acme/red}:p2:*");
      expect(keys).toHaveLength(1);
      // Replace the shared entry by a well-formed one with another body: what the second node
      // answers proves it came from Redis, not from rendering.
      const key = keys[0] ?? "";
      const stamp = key.slice("pb:md:{acme/red}:p2:".length);
      const marked = metadataDocument(body.replace("1.0.0", "1.0.0-from-redis"), stamp);
      expect(key).toBe(metadataEntryKey({ packageName: "acme/red", variant: "p2", stamp }));
      await client.set(key, `pbmd1\n${marked.etag}\n${marked.lastModified.getTime()}\n${marked.body}`);
      const served = await p2(second, "acme/red");
      expect(served.status).toBe(200);
      expect(await served.text()).toBe(marked.body);
      expect(served.headers.get("etag")).toBe(marked.etag);
    } finally {
      client.disconnect();
    }
  });

  it("renders again, rather than serve, a corrupted or oversized shared entry", async () => {
    await startNodes(redis.url);
    await first.publish("acme/red", "1.0.0", admin.token);
    const rendered = await (await p2(first, "acme/red")).text();
    const client = redis.client();
    try {
      const [key] = await client.keys("pb:md:{acme/red}:p2:*");
      const entry = (await client.get(key ?? "")) ?? "";
      await client.set(key ?? "", entry.replace("1.0.0", "6.6.6"));
      expect(await (await p2(second, "acme/red")).text()).toBe(rendered);
      // The node that rendered it keeps its own copy: the tampered entry was dropped, not served.
      await client.set(key ?? "", `pbmd1\n"x"\n0\n${"x".repeat(9 * 1024 * 1024)}`);
      const third = await TestRuntime.start({ env: nodeEnv });
      try {
        expect(await (await p2(third, "acme/red")).text()).toBe(rendered);
      } finally {
        await third.cleanup();
      }
      expect(await client.strlen(key ?? "")).toBeLessThan(1024 * 1024);
    } finally {
      client.disconnect();
    }
  });

  it("serves the new version on the other node's next request after a publish, never the old document", async () => {
    await startNodes(redis.url);
    await first.publish("acme/red", "1.0.0", admin.token);
    expect(await versionsOf(await p2(second, "acme/red"), "acme/red")).toEqual(["1.0.0"]);
    expect(await versionsOf(await p2(first, "acme/red"), "acme/red")).toEqual(["1.0.0"]);
    const client = redis.client();
    try {
      const [oldKey] = await client.keys("pb:md:{acme/red}:p2:*");
      const oldEntry = await client.get(oldKey ?? "");
      await first.publish("acme/red", "1.1.0", admin.token);
      // The publish dropped the package's documents from Redis.
      expect(await client.keys("pb:md:{acme/red}*")).toEqual([]);
      // A slow node writing the old document back late must not matter: its stamp is the old one.
      await client.set(oldKey ?? "", oldEntry ?? "");
      expect(await versionsOf(await p2(second, "acme/red"), "acme/red")).toEqual(["1.1.0", "1.0.0"]);
      expect(await versionsOf(await p2(first, "acme/red"), "acme/red")).toEqual(["1.1.0", "1.0.0"]);
      const deleted = await first.request("/api/packages/acme/red/versions/1.1.0", {
        method: "DELETE",
        token: admin.token,
      });
      expect(deleted.status).toBe(200);
      expect(await versionsOf(await p2(second, "acme/red"), "acme/red")).toEqual(["1.0.0"]);
    } finally {
      client.disconnect();
    }
  });

  it("keeps answering when Redis stops mid-way, changes included", async () => {
    const own = await startRedisServer();
    try {
      await startNodes(own.url);
      await first.publish("acme/red", "1.0.0", admin.token);
      expect((await p2(first, "acme/red")).status).toBe(200);
      await own.stop();
      expect(await versionsOf(await p2(second, "acme/red"), "acme/red")).toEqual(["1.0.0"]);
      await first.publish("acme/red", "1.1.0", admin.token);
      expect(await versionsOf(await p2(second, "acme/red"), "acme/red")).toEqual(["1.1.0", "1.0.0"]);
      expect(await versionsOf(await p2(first, "acme/red"), "acme/red")).toEqual(["1.1.0", "1.0.0"]);
      const warned = second.logLines.filter((l) =>
        String(l.message).startsWith("Shared metadata cache unavailable"),
      );
      expect(warned).toMatchObject([{ level: "warn" }]);
    } finally {
      await own.stop();
    }
  });

  it("fetches a cold upstream package and its dist from the upstream once for both nodes", async () => {
    const upstream = new ComposerUpstreamDouble();
    await upstream.start();
    try {
      await startNodes(redis.url);
      const added = await first.request("/api/repositories", {
        method: "POST",
        token: admin.token,
        body: { type: "composer", url: upstream.url, name: "upstream" },
      });
      expect(added.status).toBe(201);
      upstream.publish(
        "up/cold",
        [{ version: "1.0.0", bytes: "cold bytes" }],
        "Tue, 01 Sep 2026 10:00:00 GMT",
      );
      // Slow answers, so that both nodes ask while the first fetch is still running.
      upstream.delayMs = 300;
      const answers = await Promise.all([p2(first, "up/cold"), p2(second, "up/cold"), p2(second, "up/cold")]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      const bodies = await Promise.all(
        answers.map((a) => a.json() as Promise<{ packages: Record<string, VersionEntry[]> }>),
      );
      expect(upstream.seen.filter((s) => s.url === "/p2/up/cold.json")).toHaveLength(1);
      const url = (bodies[0]?.packages["up/cold"]?.[0]?.dist as { url: string }).url.slice(
        "http://broker.test".length,
      );
      const dists = await Promise.all(
        [first, second, first].map((node) => node.request(url, { token: reader.token })),
      );
      expect(dists.map((d) => d.status)).toEqual([200, 200, 200]);
      for (const dist of dists) expect(Buffer.from(await dist.arrayBuffer()).toString()).toBe("cold bytes");
      expect(upstream.seen.filter((s) => s.url === "/dists/up/cold/1.0.0.zip")).toHaveLength(1);
    } finally {
      await upstream.stop();
    }
  });
});

async function versionsOf(response: Response, name: string): Promise<string[]> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { packages: Record<string, { version: string }[]> };
  return (body.packages[name] ?? []).map((entry) => entry.version);
}
