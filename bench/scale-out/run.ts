/**
 * Scale-out: one broker node versus two behind nginx, on one PostgreSQL (issue "Outgrow one
 * machine"): metadata throughput (authenticated p2 documents) and the audit append rate (dist
 * downloads, one `package_access` event each, counted in the database).
 *
 *   node bench/scale-out/run.ts [--help]
 *
 * Starts a PostgreSQL cluster (fsync on) in a temp dir, two `package-broker serve` nodes on it
 * (one process each, sharing a data dir as they would share a volume, keys included), and two
 * nginx balancers: one in front of node A alone, one in front of both. Packages are uploaded
 * through node A, a read token is created with the CLI. Then wrk runs the same load through each
 * balancer in alternating rounds, so the only difference is the second node. Everything stays on
 * 127.0.0.1; every process it starts is stopped by its pid and the temp dir removed, on success,
 * failure, Ctrl-C or the time limit.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { buildZip } from "../../test/builders/zip-builder.ts";
import { balancerConfig } from "../../test/support/nginx-balancer.ts";
import { startPostgresCluster, type PostgresCluster } from "../../test/support/postgres-cluster.ts";
import { formatMachine, log, machineFacts, waitForLoad, waitForQuietMachine } from "../audit-data/machine.ts";
import { benchEntry, countOption } from "../metadata-throughput/bench-entry.ts";
import { brokerCli } from "../metadata-throughput/fixture.ts";
import { NGINX_BIN } from "../metadata-throughput/nginx.ts";
import { Cleanup, freePort, waitForHttp, type TrackedChild } from "../metadata-throughput/processes.ts";
import { cpuMeter, markdownTable, median, textTable } from "../metadata-throughput/report.ts";
import { benchServeEnv } from "../metadata-throughput/serve-env.ts";
import { runWrk, wrkArgs, wrkVersion, type WrkResult } from "../metadata-throughput/wrk.ts";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

const HELP = `Usage: node bench/scale-out/run.ts [options]

  --packages N        packages uploaded (default 40, 3 versions each)
  --duration S        seconds per wrk run (default 10)
  --warmup S          unmeasured seconds before each run (default 2)
  --rounds N          measured rounds per scenario and topology, alternating (default 3)
  --threads N         wrk threads (default 2)
  --connections N     wrk connections (default 32)
  --max-load L        wait (up to 5 minutes) while the 1-minute load average is above L (default 1.5)
  --broker-root DIR   run DIR/bin/package-broker.js with DIR/dist/ (default: this checkout, built)
  --json FILE         also write every run as JSON
  --keep              keep the temp dir (processes are stopped anyway)
`;

interface Options {
  readonly packages: number;
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly threads: number;
  readonly connections: number;
  readonly maxLoad: number;
  readonly brokerRoot: string;
  readonly json: string | undefined;
  readonly keep: boolean;
}

type Scenario = "metadata" | "downloads";
type Topology = "1 node" | "2 nodes";

interface RunRecord {
  readonly scenario: Scenario;
  readonly topology: Topology;
  readonly round: number;
  readonly wrk: WrkResult;
  readonly requestsPerSecond: number;
  /** Audit events the database gained during the run, per second. */
  readonly appendsPerSecond: number;
  /** Cores each node kept busy during the run, on average. */
  readonly nodeCores: readonly number[];
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      packages: { type: "string", default: "40" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      threads: { type: "string", default: "2" },
      connections: { type: "string", default: "32" },
      "max-load": { type: "string", default: "1.5" },
      "broker-root": { type: "string" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const maxLoad = Number(values["max-load"]);
  if (!(maxLoad > 0)) throw new Error("--max-load must be a positive number");
  const brokerRoot = path.resolve(values["broker-root"] ?? PROJECT_ROOT);
  if (!fs.existsSync(path.join(brokerRoot, "dist", "cli", "run-cli.js"))) {
    throw new Error(`${brokerRoot} has no dist/: run npm run build there, or pass --broker-root`);
  }
  return {
    packages: countOption("packages", values.packages, 1, 1000),
    duration: countOption("duration", values.duration, 1, 600),
    warmup: countOption("warmup", values.warmup, 0, 60),
    rounds: countOption("rounds", values.rounds, 1, 20),
    threads: countOption("threads", values.threads, 1, 16),
    connections: countOption("connections", values.connections, 1, 1000),
    maxLoad,
    brokerRoot,
    json: values.json,
    keep: values.keep,
  };
}

async function main(options: Options, cleanup: Cleanup): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-bench-scale-"));
  cleanup.removeLater(root);
  const cluster: PostgresCluster = await startPostgresCluster({ durable: true });
  cleanup.beforeRemovingDirs(() => {
    cluster.stop();
  });
  const databaseUrl = await createDatabase(cluster.url, "scale_out");
  const [portA, portB, portOne, portTwo] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const env = benchServeEnv(
    {
      PATH: process.env.PATH,
      PB_DATA_DIR: path.join(root, "data"),
      PB_DATABASE_URL: databaseUrl,
      PB_BASE_URL: `http://127.0.0.1:${String(portTwo)}`,
    },
    { logLevel: "warn", brokerWorkers: 1 },
  );
  // The default rule "Mass download of dists" (over 2,000 downloads per token and hour) suspends
  // the token of a download bench within seconds, as it should; here it only raises its alert.
  env.PB_ALERT_RULES_FILE = path.join(root, "alert-rules.yml");
  fs.writeFileSync(env.PB_ALERT_RULES_FILE, MASS_DOWNLOAD_WITHOUT_RESPONSE);
  const cli = brokerCli(cleanup, options.brokerRoot, env);
  log("migrating and creating an admin token");
  await cli.json(["migrate"]);
  const admin = await cli.json<{ token: string }>([
    "token",
    "create",
    "--scope",
    "admin",
    "--description",
    "bench admin",
  ]);

  const bin = path.join(options.brokerRoot, "bin", "package-broker.js");
  const startNode = async (name: string, port: number): Promise<TrackedChild> => {
    const child = cleanup.spawn(name, process.execPath, [bin, "serve"], {
      env: { ...env, PB_PORT: String(port) },
      stdio: ["ignore", "ignore", "inherit"],
    });
    await waitForHttp(`http://127.0.0.1:${String(port)}/health`, [200], 30_000, child);
    return child;
  };
  const nodeA = await startNode("node A", portA);
  const nodeB = await startNode("node B", portB);
  const nodes = [nodeA, nodeB];

  log(`uploading ${String(options.packages)} packages through node A`);
  for (let index = 0; index < options.packages; index += 1) {
    for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
      const name = `bench/package-${String(index).padStart(3, "0")}`;
      const response = await fetch(`http://127.0.0.1:${String(portA)}/api/packages/upload`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/zip" },
        body: packageZip(name, version),
      });
      if (response.status !== 201)
        throw new Error(`upload ${name} ${version}: HTTP ${String(response.status)}`);
    }
  }

  const balancers: Record<Topology, string> = {
    "1 node": await startBalancer(cleanup, root, "balancer-1", portOne, [portA]),
    "2 nodes": await startBalancer(cleanup, root, "balancer-2", portTwo, [portA, portB]),
  };
  // A token per run, so that no run inherits another's alerts.
  const readToken = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${String(portA)}/api/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" },
      body: JSON.stringify({ description: "bench run", scopes: ["read"] }),
    });
    if (response.status !== 201) throw new Error(`token: HTTP ${String(response.status)}`);
    return ((await response.json()) as { token: string }).token;
  };
  let headers = { Authorization: `Bearer ${await readToken()}` };
  const metadataPaths: string[] = [];
  const distPaths: string[] = [];
  for (let index = 0; index < options.packages; index += 1) {
    const name = `bench/package-${String(index).padStart(3, "0")}`;
    metadataPaths.push(`/p2/${name}.json`);
    const response = await fetch(`${balancers["2 nodes"]}/p2/${name}.json`, { headers });
    const body = (await response.json()) as { packages: Record<string, { dist: { url: string } }[]> };
    for (const entry of body.packages[name] ?? []) distPaths.push(new URL(entry.dist.url).pathname);
  }
  const paths: Record<Scenario, string[]> = { metadata: metadataPaths, downloads: distPaths };
  const pathsFiles: Record<Scenario, string> = { metadata: "", downloads: "" };
  for (const scenario of ["metadata", "downloads"] as const) {
    pathsFiles[scenario] = path.join(root, `${scenario}-paths.txt`);
    fs.writeFileSync(pathsFiles[scenario], `${paths[scenario].join("\n")}\n`);
  }

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const logSize = async (): Promise<number> =>
    Number(
      (await db.query<{ size: string }>("select size from audit_state where id = 1")).rows[0]?.size ?? 0,
    );

  await waitForQuietMachine(true, 5 * 60_000);
  await waitForLoad(options.maxLoad, 5);
  log(`measuring (load average ${os.loadavg()[0]?.toFixed(2) ?? "?"})`);
  const facts = machineFacts(root);
  const records: RunRecord[] = [];
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const scenario of ["metadata", "downloads"] as const) {
        for (const topology of ["1 node", "2 nodes"] as const) {
          headers = { Authorization: `Bearer ${await readToken()}` };
          const target = {
            baseUrl: balancers[topology],
            paths: paths[scenario],
            pathsFile: pathsFiles[scenario],
            headers,
          };
          if (options.warmup > 0) {
            const warm = {
              threads: options.threads,
              connections: options.connections,
              durationSeconds: options.warmup,
            };
            await runWrk(cleanup, wrkArgs(warm, target), (options.warmup + 30) * 1000);
          }
          const settings = {
            threads: options.threads,
            connections: options.connections,
            durationSeconds: options.duration,
          };
          const meters = nodes.map((node) => cpuMeter(node.process.pid ?? 0));
          const before = await logSize();
          const wrk = await runWrk(cleanup, wrkArgs(settings, target), (options.duration + 30) * 1000);
          const appended = (await logSize()) - before;
          const seconds = wrk.durationUs / 1e6;
          const record: RunRecord = {
            scenario,
            topology,
            round,
            wrk,
            requestsPerSecond: wrk.requests / seconds,
            appendsPerSecond: appended / seconds,
            nodeCores: meters.map((meter) => meter()),
          };
          records.push(record);
          log(
            `${scenario} ${topology} round ${String(round)}: ${Math.round(record.requestsPerSecond).toString()} req/s, ` +
              `${Math.round(record.appendsPerSecond).toString()} appends/s, errors ${JSON.stringify(wrk.errors)}`,
          );
        }
      }
    }
  } finally {
    await db.end();
  }
  report(records, options, formatMachine(facts), wrkVersion());
  if (options.json !== undefined)
    fs.writeFileSync(options.json, `${JSON.stringify({ facts, records }, null, 2)}\n`);
  if (options.keep) cleanup.keepDirs();
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function startBalancer(
  cleanup: Cleanup,
  root: string,
  name: string,
  port: number,
  backends: readonly number[],
): Promise<string> {
  const prefix = path.join(root, name);
  fs.mkdirSync(prefix);
  const conf = path.join(prefix, "nginx.conf");
  fs.writeFileSync(
    conf,
    balancerConfig(
      prefix,
      port,
      backends.map((backend) => `http://127.0.0.1:${String(backend)}`),
    ),
  );
  const child = cleanup.spawn(name, NGINX_BIN, ["-p", prefix, "-c", conf], {
    stdio: ["ignore", "ignore", "inherit"],
    stopSignal: "SIGQUIT",
  });
  const url = `http://127.0.0.1:${String(port)}`;
  await waitForHttp(`${url}/health`, [200], 10_000, child);
  return url;
}

function report(records: readonly RunRecord[], options: Options, machine: string, wrk: string): void {
  const rows: string[][] = [
    ["scenario", "topology", "req/s (median)", "appends/s", "p99", "cores busy (A + B)", "ratio"],
  ];
  for (const scenario of ["metadata", "downloads"] as const) {
    const one = records.filter((r) => r.scenario === scenario && r.topology === "1 node");
    const base = median(one.map((r) => r.requestsPerSecond));
    for (const topology of ["1 node", "2 nodes"] as const) {
      const runs = records.filter((r) => r.scenario === scenario && r.topology === topology);
      const rate = median(runs.map((r) => r.requestsPerSecond));
      rows.push([
        scenario,
        topology,
        Math.round(rate).toLocaleString("en"),
        Math.round(median(runs.map((r) => r.appendsPerSecond))).toLocaleString("en"),
        `${(median(runs.map((r) => r.wrk.latencyUs.p99)) / 1000).toFixed(1)} ms`,
        runs[0]?.nodeCores
          .map((_, i) => median(runs.map((r) => r.nodeCores[i] ?? 0)).toFixed(2))
          .join(" + ") ?? "",
        (rate / base).toFixed(2),
      ]);
    }
  }
  process.stdout.write(`\n${machine}\n${wrk}\n`);
  process.stdout.write(
    `wrk -t${String(options.threads)} -c${String(options.connections)} -d${String(options.duration)}s, ${String(options.rounds)} rounds, ${String(options.packages)} packages\n\n`,
  );
  process.stdout.write(`${textTable(rows)}\n\n${markdownTable(rows)}\n`);
}

/** The default rule of that id, without its response (src/audit/alerts/default-alert-rules.ts). */
const MASS_DOWNLOAD_WITHOUT_RESPONSE = `title: Mass download of dists
id: a8e71b83-f37a-4755-b611-a7f4e1873446
name: pb_mass_download_dists
status: stable
description: One token downloaded more than 2000 dists within an hour (benchmark copy, no response).
level: medium
correlation:
  type: event_count
  rules:
    - pb_token_download
  group-by:
    - actor.id
  timespan: 1h
  condition:
    gt: 2000
suppress: 1h
`;

function packageZip(name: string, version: string): Buffer {
  const filler = Buffer.alloc(8 * 1024);
  for (let i = 0; i < filler.length; i++) filler[i] = (i * 2654435761) >>> 24;
  return buildZip([
    {
      name: "composer.json",
      data: JSON.stringify({ name, version, license: "MIT", description: `${name} ${version}` }),
    },
    { name: "src/Data.bin", data: filler, method: "stored" },
  ]);
}

process.exitCode = await benchEntry({
  parse: parseOptions,
  help: HELP,
  timeLimitMs: (options) => (options.rounds * 4 * (options.duration + options.warmup + 20) + 600) * 1000,
  main,
});
