/**
 * Metadata throughput: `package-broker serve` against nginx serving the very same files, and
 * (with --unaudited) against the broker from before the audit log, to measure what auditing costs.
 *
 *   npm run bench:metadata [-- --help]
 *   npm run bench:metadata -- --unaudited 15d6a6d
 *
 * Builds a broker in a temp dir (git repositories synced with the real CLI, a read token), starts
 * the server with the per-request log on, exports /packages.json and every /p2/ document through
 * it into an nginx docroot, starts nginx with the same token check, and runs wrk with the same
 * settings against all of them, in rotating rounds. With --unaudited, the old broker gets its own
 * data dir, synced by its own CLI from the same git repositories with the same PB_BASE_URL, so it
 * serves byte-identical documents (checked) while recording no audit events. Everything stays on 127.0.0.1; everything it
 * starts is stopped and the temp dirs removed, on success, failure, Ctrl-C or the time limit.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchServeEnv } from "./serve-env.ts";
import { benchEntry, countOption } from "./bench-entry.ts";
import { buildPrivateCopy } from "./build.ts";
import { keepCpuProfiles } from "./cpu-profile.ts";
import { exportStatic, verifyServer, type StaticExport } from "./export-static.ts";
import { addAndSync, brokerCli, createGitRepositories, createReadToken } from "./fixture.ts";
import { NGINX_BIN, startNginx, type NginxGzip } from "./nginx.ts";
import { prepareUnaudited } from "./unaudited.ts";
import { Cleanup, freePort, sleep, waitForHttp, type TrackedChild } from "./processes.ts";
import {
  cpuMeter,
  formatInt,
  formatMs,
  machineFacts,
  printReport,
  SCENARIOS,
  type RunRecord,
  type ScenarioId,
  type ServerName,
} from "./report.ts";
import {
  runWrk,
  WRK_BIN,
  wrkArgs,
  wrkCommandLine,
  type WrkResult,
  type WrkSettings,
  type WrkTarget,
} from "./wrk.ts";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

const HELP = `Usage: npm run bench:metadata -- [options]

  --packages N        packages in the fixture (default 30; each 4 tags + 2 branches)
  --duration S        seconds per wrk run (default 10)
  --rounds N          measured rounds per scenario and server, alternating (default 3)
  --warmup S          seconds of unmeasured load on each server before a scenario (default 3)
  --threads N         wrk threads (default 2)
  --connections N     wrk connections (default 50)
  --scenarios LIST    comma-separated: ${Object.keys(SCENARIOS).join(",")} (default all)
  --log-level LEVEL   the broker's PB_LOG_LEVEL (default info: one log line per request)
  --broker-log WHERE  file (default: a file in the temp dir, counted and emptied after each run)
                      or discard (stdout to /dev/null)
  --nginx-gzip MODE   static (default: precompressed .gz, the same bytes as the broker's) or
                      dynamic (compressed per request at level 1, as in the Composer client lab)
  --nginx-workers N   nginx worker_processes (default 2)
  --broker-workers N  the broker's PB_WORKERS (default: the same as --nginx-workers, so that both
                      servers get as many processes; 1 measures a single process)
  --node-baseline     also measure node-static-server.ts: bare node:http, files in memory, same
                      token check, no log (the ceiling for any single Node process here)
  --profile           run the broker under node --cpu-prof and print where its CPU time went
                      (broker numbers then include the profiler's overhead)
  --profile-out FILE  where to keep the .cpuprofile (default /tmp/pb-bench-<time>.cpuprofile)
  --json FILE         also write all results as JSON
  --skip-build        run this checkout's bin/package-broker.js and dist/ as they are; by default
                      src/ is compiled (tsconfig.build.json, --noEmitOnError) into the temp dir and
                      run from there, so the checkout's dist/ is never written
  --broker-root DIR   run DIR/bin/package-broker.js with DIR/dist/ (a built copy, e.g. to measure a
                      change before making it); no build
  --unaudited WHAT    also measure the broker without the audit log ("broker" is then the audited
                      one, and the report gives audited/unaudited; target >= 0.80): WHAT is a
                      built copy (a folder with bin/ and dist/, e.g. a git worktree of 15d6a6d
                      after npm ci) or a git ref (15d6a6d: a worktree is added in the temp dir,
                      built with npm ci, and removed at the end)
  --keep              keep the temp dirs (processes are stopped anyway)
`;

interface Options {
  readonly packages: number;
  readonly wrk: WrkSettings;
  readonly rounds: number;
  readonly warmupSeconds: number;
  readonly scenarios: readonly ScenarioId[];
  readonly logLevel: string;
  readonly brokerLog: "file" | "discard";
  readonly nginxGzip: NginxGzip;
  readonly nginxWorkers: number;
  readonly brokerWorkers: number;
  readonly nodeBaseline: boolean;
  readonly profile: boolean;
  readonly profileOut: string;
  readonly json: string | undefined;
  /** Where bin/package-broker.js and dist/ are; undefined: build src/ into the temp dir. */
  readonly brokerRoot: string | undefined;
  /** The broker without the audit log: a built copy or a git ref. */
  readonly unaudited: string | undefined;
  readonly keep: boolean;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      packages: { type: "string", default: "30" },
      duration: { type: "string", default: "10" },
      rounds: { type: "string", default: "3" },
      warmup: { type: "string", default: "3" },
      threads: { type: "string", default: "2" },
      connections: { type: "string", default: "50" },
      scenarios: { type: "string", default: Object.keys(SCENARIOS).join(",") },
      "log-level": { type: "string", default: "info" },
      "broker-log": { type: "string", default: "file" },
      "nginx-gzip": { type: "string", default: "static" },
      "nginx-workers": { type: "string", default: "2" },
      "broker-workers": { type: "string" },
      "node-baseline": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      "profile-out": { type: "string" },
      json: { type: "string" },
      "skip-build": { type: "boolean", default: false },
      "broker-root": { type: "string" },
      unaudited: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const scenarios = values.scenarios.split(",").filter(Boolean);
  for (const id of scenarios) if (!(id in SCENARIOS)) throw new Error(`unknown scenario ${id}`);
  if (scenarios.length === 0) throw new Error("--scenarios is empty");
  if (values["broker-log"] !== "file" && values["broker-log"] !== "discard") {
    throw new Error("--broker-log must be file or discard");
  }
  if (values["nginx-gzip"] !== "static" && values["nginx-gzip"] !== "dynamic") {
    throw new Error("--nginx-gzip must be static or dynamic");
  }
  const levels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  if (!levels.includes(values["log-level"]))
    throw new Error(`--log-level must be one of ${levels.join(", ")}`);
  const given = values["broker-root"] ?? (values["skip-build"] ? PROJECT_ROOT : undefined);
  const brokerRoot = given === undefined ? undefined : path.resolve(given);
  if (brokerRoot !== undefined && !fs.existsSync(path.join(brokerRoot, "dist", "cli", "run-cli.js"))) {
    throw new Error(`there is no bin/package-broker.js with a built dist/ in ${brokerRoot}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return {
    packages: countOption("packages", values.packages, 1, 2000),
    wrk: {
      threads: countOption("threads", values.threads, 1, 64),
      connections: countOption("connections", values.connections, 1, 10_000),
      durationSeconds: countOption("duration", values.duration, 1, 600),
    },
    rounds: countOption("rounds", values.rounds, 1, 20),
    warmupSeconds: countOption("warmup", values.warmup, 0, 60),
    scenarios: scenarios as ScenarioId[],
    logLevel: values["log-level"],
    brokerLog: values["broker-log"],
    nginxGzip: values["nginx-gzip"],
    nginxWorkers: countOption("nginx-workers", values["nginx-workers"], 1, 64),
    brokerWorkers: countOption("broker-workers", values["broker-workers"] ?? values["nginx-workers"], 1, 64),
    nodeBaseline: values["node-baseline"],
    profile: values.profile,
    profileOut: path.resolve(values["profile-out"] ?? `/tmp/pb-bench-${stamp}.cpuprofile`),
    json: values.json,
    brokerRoot,
    unaudited: values.unaudited,
    keep: values.keep,
  };
}

/** An upper bound for the whole run, so a hang cannot keep the machine busy. */
function timeLimitMs(options: Options): number {
  const servers = 2 + (options.nodeBaseline ? 1 : 0) + (options.unaudited === undefined ? 0 : 1);
  const perWrk = options.wrk.durationSeconds + 15;
  const runs = options.scenarios.length * servers * (options.rounds * perWrk + options.warmupSeconds + 15);
  // The unaudited copy: its own fixture, and maybe npm ci + build.
  const unaudited = options.unaudited === undefined ? 0 : 900 + options.packages * 4;
  return (300 + options.packages * 4 + unaudited + runs) * 1000;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface MeasuredServer {
  readonly name: ServerName;
  readonly url: string;
  readonly child: TrackedChild;
  /** The read token this server accepts. */
  readonly token: string;
  /** The broker's log (a broker only). */
  readonly log?: BrokerProcess;
}

async function main(options: Options, cleanup: Cleanup): Promise<void> {
  for (const [tool, found] of [
    ["git", commandExists("git")],
    ["wrk", commandExists(WRK_BIN)],
    ["nginx", fs.existsSync(NGINX_BIN)],
  ] as const) {
    if (!found) throw new Error(`${tool} is not installed (Debian: apt-get install ${tool})`);
  }
  const facts = machineFacts();
  log(
    `${facts.cpus} CPUs (${facts.cpuModel}), node ${facts.node}, nginx ${facts.nginx}, ${facts.wrk}, load ${facts.loadAverage}`,
  );
  if ((os.loadavg()[0] ?? 0) > facts.cpus / 2) {
    log(
      `WARNING: the machine is busy (load ${facts.loadAverage} on ${facts.cpus} CPUs); numbers will be noisy`,
    );
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pb-bench-"));
  cleanup.removeLater(tmp);
  // Apart from the 0700 temp dir: nginx workers started by root run as nobody and must read it.
  const docroot = fs.mkdtempSync(path.join(os.tmpdir(), "pb-bench-www-"));
  cleanup.removeLater(docroot);
  fs.chmodSync(docroot, 0o755);
  if (options.keep) log(`temp dirs (kept): ${tmp} ${docroot}`);

  let brokerRoot = options.brokerRoot;
  if (brokerRoot === undefined) {
    const started = performance.now();
    brokerRoot = buildPrivateCopy(PROJECT_ROOT, path.join(tmp, "build"));
    log(`src/ built into the temp dir in ${seconds(started)}`);
  }

  const brokerPort = await freePort();
  const brokerUrl = `http://127.0.0.1:${brokerPort}`;
  const brokerEnv = {
    PATH: process.env.PATH,
    PB_DATA_DIR: path.join(tmp, "data"),
    PB_BASE_URL: brokerUrl,
    PB_ALLOW_PRIVATE_SOURCES: "true",
  };

  let started = performance.now();
  const repositories = createGitRepositories(path.join(tmp, "git"), options.packages);
  log(`${repositories.length} git repositories created in ${seconds(started)}`);
  started = performance.now();
  const cli = brokerCli(cleanup, brokerRoot, brokerEnv);
  const versions = await addAndSync(cli, repositories, Math.max(1, os.availableParallelism()));
  const token = await createReadToken(cli);
  log(`repo add + repo sync: ${versions} versions in ${seconds(started)}; read token created`);

  const profileDir = path.join(tmp, "profile");
  const broker = startBroker(cleanup, "broker", options, brokerRoot, tmp, profileDir, {
    ...brokerEnv,
    PB_PORT: String(brokerPort),
  });
  await waitForHttp(`${brokerUrl}/health`, [200], 30_000, broker.child);
  log(
    `broker listening on ${brokerUrl} (PB_WORKERS=${options.brokerWorkers}, PB_LOG_LEVEL=${options.logLevel}, ${broker.logDescription})`,
  );

  const exported = await exportStatic(brokerUrl, token, docroot);
  const pathsFile = path.join(tmp, "p2-paths.txt");
  fs.writeFileSync(pathsFile, `${exported.p2Paths.join("\n")}\n`);
  log(`exported ${exported.files.length} documents (${exported.p2Paths.length} p2) into ${docroot}`);

  const nginxPort = await freePort();
  const nginx = await startNginx(cleanup, {
    prefix: path.join(tmp, "nginx"),
    docroot,
    port: nginxPort,
    token,
    workers: options.nginxWorkers,
    gzip: options.nginxGzip,
  });
  const servers: MeasuredServer[] = [
    { name: "broker", url: brokerUrl, child: broker.child, token, log: broker },
    { name: "nginx", url: `http://127.0.0.1:${nginxPort}`, child: nginx, token },
  ];
  log(
    `nginx listening on ${servers[1]!.url} (worker_processes ${options.nginxWorkers}, gzip ${options.nginxGzip})`,
  );
  if (options.unaudited !== undefined) {
    servers.push(await startUnaudited(cleanup, options, options.unaudited, tmp, repositories, brokerEnv));
  }
  if (options.nodeBaseline) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = cleanup.spawn(
      "node-baseline",
      process.execPath,
      [path.join(import.meta.dirname, "node-static-server.ts"), docroot, String(port)],
      { env: { PATH: process.env.PATH, BENCH_TOKEN: token }, stdio: ["ignore", "ignore", "inherit"] },
    );
    await waitForHttp(`${url}/packages.json`, [401], 10_000, child);
    servers.push({ name: "node", url, child, token });
    log(`node baseline listening on ${url}`);
  }

  for (const server of servers) {
    const sameGzip = server.name !== "nginx" || options.nginxGzip === "static";
    await verifyServer(server.name, server.url, server.token, exported, sameGzip);
  }
  log("every server sends the same documents and refuses a missing or wrong token");

  const single = singlePath(exported);
  const records: RunRecord[] = [];
  const commands: Partial<Record<ScenarioId, string>> = {};
  const wrkTimeoutMs = (options.wrk.durationSeconds + 30) * 1000;

  for (const scenario of options.scenarios) {
    const spec = SCENARIOS[scenario];
    const target = (server: MeasuredServer): WrkTarget => ({
      baseUrl: server.url,
      paths: spec.rotate ? exported.p2Paths : [single],
      pathsFile,
      headers: {
        Authorization: `Bearer ${server.token}`,
        ...(spec.gzip ? { "Accept-Encoding": "gzip" } : {}),
      },
    });
    commands[scenario] = wrkCommandLine(wrkArgs(options.wrk, target(servers[0]!)), token, pathsFile);
    if (options.warmupSeconds > 0) {
      const warm = { ...options.wrk, durationSeconds: options.warmupSeconds };
      for (const server of servers) {
        const result = await runWrk(cleanup, wrkArgs(warm, target(server)), wrkTimeoutMs);
        checkRun(`${scenario} warm-up on ${server.name}`, result);
      }
    }
    for (let round = 1; round <= options.rounds; round++) {
      // Rotate the order each round, so no server always runs first (or after the same one).
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length]!);
      for (const server of order) {
        await sleep(500);
        server.log?.takeLogLines();
        const cores = cpuMeter(server.child.process.pid ?? 0);
        const result = await runWrk(cleanup, wrkArgs(options.wrk, target(server)), wrkTimeoutMs);
        const serverCores = cores();
        checkRun(`${scenario} round ${round} on ${server.name}`, result);
        if (!server.child.running) throw new Error(`${server.name} exited during the run`);
        const logLines = await server.log?.settleLogLines();
        const record: RunRecord = {
          scenario,
          server: server.name,
          round,
          requests: result.requests,
          requestsPerSecond: result.requests / (result.durationUs / 1e6),
          p50Us: result.latencyUs.p50,
          p99Us: result.latencyUs.p99,
          bytesPerResponse: result.bytes / Math.max(1, result.requests),
          socketErrors:
            result.errors.connect + result.errors.read + result.errors.write + result.errors.timeout,
          serverCores,
          ...(logLines === undefined ? {} : { logLines }),
        };
        records.push(record);
        log(
          `${scenario} round ${round} ${server.name.padEnd(6)} ${formatInt(record.requestsPerSecond).padStart(7)} req/s` +
            `  p50 ${formatMs(record.p50Us)}  p99 ${formatMs(record.p99Us)}  server CPU ${record.serverCores.toFixed(2)} cores` +
            (logLines === undefined ? "" : `  ${formatInt(logLines)} log lines`) +
            (record.socketErrors > 0 ? `  ${record.socketErrors} socket errors` : ""),
        );
      }
    }
  }

  // Stop the broker first: with --profile, node writes the .cpuprofile as it exits.
  for (const server of servers) await server.child.stop();
  const loadAfter = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
  printReport({
    facts,
    loadAfter,
    settings: {
      packages: options.packages,
      wrk: options.wrk,
      rounds: options.rounds,
      warmupSeconds: options.warmupSeconds,
      brokerBin:
        options.brokerRoot === undefined
          ? "bin/package-broker.js (src/ built into the temp dir)"
          : path.join(options.brokerRoot, "bin", "package-broker.js"),
      ...(options.unaudited === undefined ? {} : { unaudited: options.unaudited }),
      logLevel: options.logLevel,
      brokerLog: options.brokerLog,
      nginxGzip: options.nginxGzip,
      nginxWorkers: options.nginxWorkers,
      brokerWorkers: options.brokerWorkers,
      profiled: options.profile,
    },
    servers: servers.map((s) => s.name),
    scenarios: options.scenarios,
    exported,
    single,
    records,
    commands,
  });
  if (options.profile) keepCpuProfiles(profileDir, options.profileOut, brokerRoot);
  if (options.json !== undefined) {
    const json = { facts, loadAfter, options, commands, records };
    fs.writeFileSync(options.json, `${JSON.stringify(json, null, 2)}\n`);
    log(`results written to ${options.json}`);
  }
}

interface BrokerProcess {
  readonly child: TrackedChild;
  readonly logDescription: string;
  /** Lines logged since the last call (undefined when the log is discarded); the file is emptied. */
  takeLogLines(): number | undefined;
  /** Waits for the asynchronous log to be written, then takes the lines. */
  settleLogLines(): Promise<number | undefined>;
}

function startBroker(
  cleanup: Cleanup,
  name: "broker" | "unaudited",
  options: Options,
  brokerRoot: string,
  tmp: string,
  profileDir: string,
  env: Record<string, string | undefined>,
): BrokerProcess {
  const logFile = path.join(tmp, `${name}.log`);
  const errFile = path.join(tmp, `${name}.stderr`);
  // O_APPEND, so emptying the file between runs makes the server write at its new end.
  const stdout = options.brokerLog === "file" ? fs.openSync(logFile, "a") : "ignore";
  const stderr = fs.openSync(errFile, "a");
  const nodeFlags =
    options.profile && name === "broker" ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = cleanup.spawn(
    name,
    process.execPath,
    [...nodeFlags, path.join(brokerRoot, "bin", "package-broker.js"), "serve"],
    {
      cwd: brokerRoot,
      env: benchServeEnv(env, options),
      stdio: ["ignore", stdout, stderr],
    },
  );
  if (typeof stdout === "number") fs.closeSync(stdout);
  fs.closeSync(stderr);
  child.process.once("exit", (code, signal) => {
    if (code !== 0 && signal === null) {
      log(`${name} exited with ${code}; stderr:\n${fs.readFileSync(errFile, "utf8").slice(-4000)}`);
    }
  });
  const takeLogLines = (): number | undefined => {
    if (options.brokerLog !== "file") return undefined;
    const text = fs.readFileSync(logFile);
    let lines = 0;
    for (let at = text.indexOf(10); at !== -1; at = text.indexOf(10, at + 1)) lines++;
    fs.truncateSync(logFile, 0);
    return lines;
  };
  return {
    child,
    logDescription: options.brokerLog === "file" ? "log: stdout to a file" : "log: stdout to /dev/null",
    takeLogLines,
    settleLogLines: async () => {
      await sleep(300);
      return takeLogLines();
    },
  };
}

/**
 * The broker without the audit log, on its own data dir and port: the same git repositories
 * added and synced by its own CLI, its own read token, and the audited broker's PB_BASE_URL, so
 * its documents are the same bytes (verifyServer checks).
 */
async function startUnaudited(
  cleanup: Cleanup,
  options: Options,
  spec: string,
  tmp: string,
  repositories: readonly string[],
  brokerEnv: Record<string, string | undefined>,
): Promise<MeasuredServer> {
  const root = await prepareUnaudited(spec, PROJECT_ROOT, tmp, cleanup, log);
  const env = { ...brokerEnv, PB_DATA_DIR: path.join(tmp, "data-unaudited") };
  const started = performance.now();
  const cli = brokerCli(cleanup, root, env);
  const versions = await addAndSync(cli, repositories, Math.max(1, os.availableParallelism()));
  const token = await createReadToken(cli);
  log(`unaudited broker (${root}): ${versions} versions synced in ${seconds(started)}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const unaudited = startBroker(cleanup, "unaudited", options, root, tmp, path.join(tmp, "profile"), {
    ...env,
    PB_PORT: String(port),
  });
  await waitForHttp(`${url}/health`, [200], 30_000, unaudited.child);
  log(`unaudited broker listening on ${url}`);
  return { name: "unaudited", url, child: unaudited.child, token, log: unaudited };
}

/** The p2 document of the last package (like the lab's pkg030.json): a tagged-versions file. */
function singlePath(exported: StaticExport): string {
  const tagged = exported.p2Paths.filter((p) => !p.endsWith("~dev.json"));
  const last = tagged.at(-1);
  if (last === undefined) throw new Error("no tagged p2 document was exported");
  return last;
}

function checkRun(what: string, result: WrkResult): void {
  if (result.requests === 0) throw new Error(`${what}: no requests completed`);
  if (result.errors.status > 0) {
    throw new Error(`${what}: ${result.errors.status} responses with status >= 400; the run is not valid`);
  }
}

function commandExists(command: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", command], { stdio: "ignore" }).status === 0;
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

process.exitCode = await benchEntry({ parse: parseOptions, help: HELP, timeLimitMs, main });
