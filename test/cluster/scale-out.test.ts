import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildZip } from "../builders/zip-builder.ts";
import { openBrokerDatabase } from "../support/broker-database-reader.ts";
import { brokerJson, BrokerServer } from "../support/broker-process.ts";
import { composerAvailable, ComposerProject, type ComposerRun } from "../support/composer-client.ts";
import { freePort } from "../support/free-port.ts";
import { NginxBalancer } from "../support/nginx-balancer.ts";
import { requireRedisServer, startRedisServer, type RedisServer } from "../support/redis-server.ts";
import { requireComponent } from "../support/required-component.ts";
import { startS3Server, type S3TestServer } from "../support/s3-server.ts";
import { nginxAvailable } from "../support/static-composer-repository.ts";
import { createPostgresDatabase, testEngines } from "../support/test-databases.ts";

/**
 * The scale-out deployment on one machine (issue "Outgrow one machine"): PostgreSQL, Redis, an S3
 * server and two broker nodes behind nginx. Composer installs, dist downloads and API writes go
 * through the balancer while the node that signs checkpoints is SIGKILLed and restarted. Then:
 * every request answered 2xx has its audit event, `audit verify` passes, no job ran on two nodes
 * at once (and the checkpoint job moved to another node after the lease of the dead one ran out),
 * a token revoked through one node is refused by the other on its next request, rate limits are
 * one budget across the nodes, and every install either succeeded or failed cleanly and succeeds
 * when retried.
 */

const runs =
  testEngines().includes("postgres") &&
  requireRedisServer() &&
  requireComponent("nginx", nginxAvailable(), "install Debian's nginx") &&
  requireComponent(
    "composer",
    composerAvailable(),
    "install the composer, php-cli, php-zip, php-curl packages",
  );

const PACKAGES = [
  { name: "acme/red", require: { "acme/green": "^1.0" } },
  { name: "acme/green", require: {} },
  { name: "acme/blue", require: {} },
] as const;
const VERSIONS = ["1.0.0", "1.1.0"] as const;
/** Parallel composer installs, download loops and API write loops during the kill. */
const INSTALLERS = 3;
const DOWNLOADERS = 6;
const WRITERS = 2;

interface JobRunRow {
  job: string;
  holder: string;
  started_at: string;
  finished_at: string;
}

interface Load {
  readonly downloads: string[];
  readonly writes: string[];
  readonly installs: ComposerRun[];
  readonly retries: ComposerRun[];
  readonly unexpected: string[];
}

describe.runIf(runs)("two broker nodes on PostgreSQL, Redis and S3 behind nginx", () => {
  let root: string;
  let redis: RedisServer | undefined;
  let s3: S3TestServer | undefined;
  let balancer: NginxBalancer;
  const nodes: BrokerServer[] = [];
  const ports: number[] = [];
  let env: Record<string, string>;
  let adminToken: string;
  let readToken: string;
  let killedHolder = "";
  let killedIndex = 0;
  let load: Load;

  const nodeEnv = (index: number): Record<string, string> => ({
    ...env,
    PB_DATA_DIR: path.join(root, `node-${String(index)}`),
  });

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-scale-out-"));
    const [startedRedis, startedS3] = await Promise.all([startRedisServer(), startS3Server("dists")]);
    redis = startedRedis;
    s3 = startedS3;
    const balancerPort = await freePort();
    env = {
      PB_DATABASE_URL: await createPostgresDatabase(),
      PB_BLOB_URL: "s3://dists/cluster",
      PB_S3_ENDPOINT: startedS3.endpoint,
      PB_S3_REGION: "us-east-1",
      PB_S3_FORCE_PATH_STYLE: "true",
      PB_S3_ACCESS_KEY_ID: startedS3.credentials.accessKeyId,
      PB_S3_SECRET_ACCESS_KEY: startedS3.credentials.secretAccessKey,
      PB_REDIS_URL: startedRedis.url,
      // Every node shares the keys: credentials sealed by one open on the other, and one signer.
      PB_SECRET_KEY: randomBytes(32).toString("base64"),
      PB_AUDIT_SIGNING_KEY: randomBytes(32).toString("base64"),
      PB_BASE_URL: `http://127.0.0.1:${String(balancerPort)}`,
      PB_AUDIT_CHECKPOINT_SECONDS: "1",
      PB_AUDIT_CHECKPOINT_EVENTS: "25",
      // A budget far above the load, coming back slowly (one request per 864 ms), so that what
      // requests spent shows in the headers whatever the machine's speed.
      PB_RATE_LIMIT_REQUESTS: "100000",
      PB_RATE_LIMIT_WINDOW_SECONDS: "86400",
      PB_LOG_LEVEL: "warn",
    };
    // The CLI runs synchronously here, and the S3 server lives in this process: the CLI only
    // touches the database; the dists are uploaded through a node.
    brokerJson(["migrate"], nodeEnv(0));
    adminToken = brokerJson<{ token: string }>(
      ["token", "create", "--scope", "admin", "--description", "cluster admin"],
      nodeEnv(0),
    ).token;
    readToken = brokerJson<{ token: string }>(
      ["token", "create", "--description", "cluster read"],
      nodeEnv(0),
    ).token;
    for (const index of [0, 1]) {
      ports.push(await freePort());
      nodes.push(await BrokerServer.start(nodeEnv(index), ports[index]));
    }
    for (const { name, require } of PACKAGES) {
      for (const version of VERSIONS) {
        const response = await fetch(`${nodes[0]!.url}/api/packages/upload`, {
          method: "POST",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/zip" },
          body: packageZip(name, version, require),
        });
        expect(response.status, await response.text()).toBe(201);
      }
    }
    balancer = await NginxBalancer.start(
      ports.map((port) => `http://127.0.0.1:${String(port)}`),
      balancerPort,
    );

    // Kill the node that signs checkpoints: the job must move to the other one.
    const holder = await waitFor(async () => {
      const jobs = await getJson<{ jobs: { name: string; holder: string | null; state: string }[] }>(
        `${balancer.url}/api/jobs`,
        adminToken,
      );
      const checkpoints = jobs.jobs.find((job) => job.name === "audit.checkpoints");
      return checkpoints?.state === "held" ? checkpoints.holder : null;
    }, "a node to hold the checkpoint lease");
    killedHolder = holder;
    const pid = Number(holder.split(":")[1]);
    killedIndex = nodes.findIndex((node) => node.pid === pid);
    expect(killedIndex, `holder ${holder}`).toBeGreaterThanOrEqual(0);

    load = await runLoad();
  }, 240_000);

  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await (balancer as NginxBalancer | undefined)?.stop();
    await redis?.stop();
    await s3?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /**
   * Installs, downloads and token creations through the balancer; after the first 100 answered
   * downloads the checkpoint holder is SIGKILLed, and restarted on its port a second later.
   */
  async function runLoad(): Promise<Load> {
    const result: Load = { downloads: [], writes: [], installs: [], retries: [], unexpected: [] };
    const hostPort = new URL(balancer.url).host;
    const distPaths = await distPathsOf();
    let stopping = false;
    const stopped = (): boolean => stopping;
    let killed: () => void = () => undefined;
    const kill = new Promise<void>((resolve) => {
      killed = resolve;
    });

    const downloader = async (loop: number): Promise<void> => {
      for (let i = 0; !stopped(); i += 1) {
        const requestId = `cluster-dl-${String(loop)}-${String(i)}`;
        try {
          const response = await fetch(`${balancer.url}${distPaths[(loop + i) % distPaths.length] ?? ""}`, {
            headers: { authorization: `Bearer ${readToken}`, "x-request-id": requestId },
          });
          await response.arrayBuffer().catch(() => undefined);
          if (response.ok) result.downloads.push(requestId);
          else if (response.status !== 502)
            result.unexpected.push(`${requestId}: HTTP ${String(response.status)}`);
          if (result.downloads.length === 100) killed();
        } catch (error) {
          result.unexpected.push(`${requestId}: ${String(error)}`);
        }
      }
    };
    const writer = async (loop: number): Promise<void> => {
      for (let i = 0; !stopped(); i += 1) {
        const requestId = `cluster-api-${String(loop)}-${String(i)}`;
        try {
          const response = await fetch(`${balancer.url}/api/tokens`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${adminToken}`,
              "content-type": "application/json",
              "x-request-id": requestId,
            },
            body: JSON.stringify({ description: requestId, scopes: ["read"] }),
          });
          await response.arrayBuffer();
          // A POST is never retried by the balancer: a node that died under it answers 502.
          if (response.status === 201) result.writes.push(requestId);
          else if (response.status !== 502)
            result.unexpected.push(`${requestId}: HTTP ${String(response.status)}`);
        } catch (error) {
          result.unexpected.push(`${requestId}: ${String(error)}`);
        }
      }
    };
    const installer = async (index: number): Promise<void> => {
      const dir = path.join(root, `project-${String(index)}`);
      fs.mkdirSync(dir);
      const project = new ComposerProject(dir, balancer.url, { "acme/red": "^1.0", "acme/blue": "^1.1" });
      project.useBasicToken(hostPort, readToken);
      while (!stopped()) {
        const run = await project.runAsync("install", "--no-cache");
        result.installs.push(run);
        if (run.status !== 0) {
          // Failed cleanly: a clear message, and the same command succeeds once the node is back.
          result.retries.push(await project.runAsync("install", "--no-cache"));
        }
        project.clearVendorAndCache();
        fs.rmSync(path.join(dir, "composer.lock"), { force: true });
      }
    };

    const workers = [
      ...Array.from({ length: DOWNLOADERS }, (_, loop) => downloader(loop)),
      ...Array.from({ length: WRITERS }, (_, loop) => writer(loop)),
      ...Array.from({ length: INSTALLERS }, (_, index) => installer(index)),
    ];
    await Promise.race([kill, delay(30_000)]);
    await nodes[killedIndex]?.kill("SIGKILL");
    await delay(1000);
    nodes[killedIndex] = await BrokerServer.start(nodeEnv(killedIndex), ports[killedIndex]);
    await delay(3000);
    stopping = true;
    await Promise.all(workers);
    return result;
  }

  async function distPathsOf(): Promise<string[]> {
    const paths: string[] = [];
    for (const { name } of PACKAGES) {
      const body = await getJson<{ packages: Record<string, { dist: { url: string } }[]> }>(
        `${balancer.url}/p2/${name}.json`,
        readToken,
      );
      for (const version of body.packages[name] ?? []) paths.push(new URL(version.dist.url).pathname);
    }
    expect(paths).toHaveLength(PACKAGES.length * VERSIONS.length);
    return paths;
  }

  it("answered the load through the kill, and every install that failed succeeded on retry", () => {
    expect(load.unexpected).toEqual([]);
    expect(load.downloads.length).toBeGreaterThan(100);
    expect(load.writes.length).toBeGreaterThan(0);
    expect(load.installs.length).toBeGreaterThanOrEqual(INSTALLERS);
    for (const failed of load.installs.filter((run) => run.status !== 0)) {
      expect(failed.output).toMatch(/502|Bad Gateway|could not be downloaded|failed to open stream/i);
    }
    for (const retry of load.retries) expect(retry.status, retry.output).toBe(0);
  });

  it("has the audit event of every request answered 2xx, and the log verifies", async () => {
    const db = await openBrokerDatabase("postgres", env);
    try {
      const rows = await db.rows<{ request_id: string }>(
        "select request_id from audit_logs where request_id like 'cluster-%'",
      );
      const recorded = new Set(rows.map((row) => row.request_id));
      expect(load.downloads.filter((id) => !recorded.has(id))).toEqual([]);
      expect(load.writes.filter((id) => !recorded.has(id))).toEqual([]);
      const [gaps] = await db.rows<{ size: string; max: string; min: string }>(
        "select count(*) as size, max(seq) as max, min(seq) as min from audit_logs",
      );
      expect(Number(gaps?.min)).toBe(1);
      expect(Number(gaps?.max)).toBe(Number(gaps?.size));
    } finally {
      await db.close();
    }
    const verified = brokerJson<{ ok: boolean; size: number }>(["audit", "verify", "--json"], nodeEnv(0));
    expect(verified.ok).toBe(true);
  });

  it("ran no job on two nodes at once, and handed the checkpoints over after the dead node's lease", async () => {
    // Keep events coming until a checkpoint is signed by another process than the killed one.
    await waitFor(
      async () => {
        await getJson(`${balancer.url}/p2/acme/blue.json`, readToken);
        const page = await getJson<{ runs: { holder: string }[] }>(
          `${balancer.url}/api/jobs/audit.checkpoints/runs?limit=1`,
          adminToken,
        );
        const holder = page.runs[0]?.holder ?? killedHolder;
        return holder === killedHolder ? null : true;
      },
      "another node to sign checkpoints",
      90_000,
    );

    const db = await openBrokerDatabase("postgres", env);
    try {
      const runsOf = await db.rows<JobRunRow>(
        "select job, holder, started_at, finished_at from job_runs order by job, started_at, finished_at",
      );
      const holders = new Set(
        runsOf.filter((run) => run.job === "audit.checkpoints").map((run) => run.holder),
      );
      expect(holders.size).toBeGreaterThanOrEqual(2);
      expect(holders.has(killedHolder)).toBe(true);
      for (const [index, run] of runsOf.entries()) {
        const next = runsOf[index + 1];
        if (next?.job !== run.job) continue;
        // Runs of a job follow each other: none starts before the previous one ended.
        expect(next.started_at >= run.finished_at, `${run.job}: ${JSON.stringify([run, next])}`).toBe(true);
      }
      const checkpoints = await db.rows<{ size: string; created_at: string }>(
        "select size, created_at from audit_checkpoints order by created_at, size",
      );
      const sizes = checkpoints.map((row) => Number(row.size));
      expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    } finally {
      await db.close();
    }
  });

  it("refuses a token on one node on the next request after another node revoked it", async () => {
    const [revoker, checker] = killedIndex === 0 ? [nodes[1]!, nodes[0]!] : [nodes[0]!, nodes[1]!];
    const created = await postJson<{ id: string; token: string }>(`${revoker.url}/api/tokens`, adminToken, {
      description: "revoked across nodes",
      scopes: ["read"],
    });
    const before = await fetch(`${checker.url}/p2/acme/blue.json`, {
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(before.status).toBe(200);
    const revoked = await fetch(`${revoker.url}/api/tokens/${created.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(revoked.status).toBe(200);
    const after = await fetch(`${checker.url}/p2/acme/blue.json`, {
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(after.status).toBe(403);
    expect(await after.json()).toMatchObject({ code: "TokenRevoked" });
  });

  it("counts one rate-limit budget per token across the nodes (Redis)", async () => {
    const remaining = async (node: BrokerServer): Promise<number> => {
      const response = await fetch(`${node.url}/p2/acme/blue.json`, {
        headers: { authorization: `Bearer ${readToken}` },
      });
      await response.arrayBuffer();
      return Number(response.headers.get("ratelimit-remaining"));
    };
    const first = await remaining(nodes[0]!);
    for (let i = 0; i < 10; i += 1) await remaining(nodes[0]!);
    const second = await remaining(nodes[1]!);
    for (let i = 0; i < 10; i += 1) await remaining(nodes[1]!);
    const third = await remaining(nodes[0]!);
    // Each request spends the same budget whichever node answers; a little comes back meanwhile
    // (one request per 864 ms), far less than the 11 spent between two readings.
    expect(first - second).toBeGreaterThanOrEqual(6);
    expect(second - third).toBeGreaterThanOrEqual(6);
  });
});

function packageZip(name: string, version: string, require: Readonly<Record<string, string>>): Buffer {
  const filler = Buffer.alloc(16 * 1024);
  for (let i = 0; i < filler.length; i++) filler[i] = (i * 2654435761) >>> 24;
  return buildZip([
    { name: "composer.json", data: JSON.stringify({ name, version, license: "MIT", require }) },
    { name: "src/Data.bin", data: filler, method: "stored" },
  ]);
}

async function getJson<T = unknown>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${String(response.status)}`);
  return (await response.json()) as T;
}

async function postJson<T>(url: string, token: string, body: object): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url}: HTTP ${String(response.status)}`);
  return (await response.json()) as T;
}

async function waitFor<T>(probe: () => Promise<T | null>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(250);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
