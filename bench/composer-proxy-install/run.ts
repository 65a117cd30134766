/**
 * Composer proxy install: the wall time of the real `composer install` of a project of ≥ 150
 * packages through `package-broker serve` proxying a static Composer repository (nginx), against
 * the same install straight from that nginx, in the same run (issue 6; target broker/nginx ≤ 1.2).
 *
 *   node bench/composer-proxy-install/run.ts [--help]
 *
 * Generates the upstream (test/support's StaticComposerRepository: minified p2 documents and zip
 * dists, served by nginx on loopback), starts a broker on a temp data dir with a composer
 * repository proxying it and a read token, writes one composer.lock per source with `composer
 * update` (the broker's is the warm-up: every document and dist is fetched from the upstream and
 * stored), then alternates K rounds of `composer install` with a fresh COMPOSER_HOME,
 * COMPOSER_CACHE_DIR and vendor/ against nginx and the broker, from the lock and without one.
 * Everything stays on 127.0.0.1; every process it starts is stopped by its pid and the temp dir
 * removed, on success, failure, Ctrl-C or the time limit.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchServeEnv } from "../metadata-throughput/serve-env.ts";
import { benchEntry, countOption } from "../metadata-throughput/bench-entry.ts";
import { StaticComposerRepository } from "../../test/support/static-composer-repository.ts";
import { formatMachine, machineFacts, waitForLoad } from "../audit-data/machine.ts";
import { buildPrivateCopy } from "../metadata-throughput/build.ts";
import { keepCpuProfiles } from "../metadata-throughput/cpu-profile.ts";
import { brokerCli } from "../metadata-throughput/fixture.ts";
import { NGINX_BIN, nginxVersion } from "../metadata-throughput/nginx.ts";
import {
  Cleanup,
  freePort,
  sleep,
  waitForHttp,
  type TrackedChild,
} from "../metadata-throughput/processes.ts";
import { cpuMeter, markdownTable, median, textTable } from "../metadata-throughput/report.ts";
import { brokerRequestsSince, type BrokerRequests } from "./broker-request-log.ts";
import { downloadBurst } from "./download-burst.ts";
import {
  composerVersion,
  lockedPackages,
  phpVersion,
  runComposer,
  writeComposerProject,
} from "./composer-project.ts";
import { upstreamPackages, VENDORS, type UpstreamPackages } from "./upstream-packages.ts";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
const TARGET = 1.2;

const HELP = `Usage: node bench/composer-proxy-install/run.ts [options]

  --rounds K          measured rounds; each runs every mode once against nginx and once against
                      the broker, alternating which goes first (default 5)
  --packages N        packages in the upstream, all installed (default 160; 5 versions each)
  --modes LIST        comma-separated: lock (composer install from a composer.lock written
                      against the same source: dist downloads only), resolve (composer install
                      without a lock: metadata, solver and dists) (default lock,resolve)
  --broker-workers N  the broker's PB_WORKERS (default 1, the server's default)
  --log-level LEVEL   the broker's PB_LOG_LEVEL (default info: one line per request, counted)
  --profile           run the broker under node --cpu-prof and print where its CPU time went
                      (it then includes the setup and the profiler's overhead)
  --profile-out FILE  where to keep the .cpuprofile (default /tmp/pb-bench-<time>.cpuprofile)
  --max-load L        wait (up to --max-wait minutes) while the 1-minute load average is above L
                      before measuring (default 1.5); the load is reported either way
  --max-wait MIN      (default 5)
  --json FILE         also write every run as JSON
  --skip-build        run this checkout's bin/package-broker.js and dist/ as they are; by default
                      src/ is compiled (tsconfig.build.json, --noEmitOnError) into the temp dir
  --broker-root DIR   run DIR/bin/package-broker.js with DIR/dist/ (a built copy); no build
  --bursts N          after the rounds, N rounds of the download phase without composer: every
                      dist of the lock, then every p2 document, 12 at a time over keep-alive, from
                      each source (default 10; 0: none)
  --composer-log DIR  write each measured run's composer output to DIR/<mode>-<source>-<round>.log
  --composer-profile  run composer with -vvv --profile (timestamps on every line, for --composer-log;
                      both sources pay the same extra output)
  --keep              keep the temp dir (processes are stopped anyway)
`;

type Mode = "lock" | "resolve";
type Source = "nginx" | "broker";

interface Options {
  readonly rounds: number;
  readonly packages: number;
  readonly modes: readonly Mode[];
  readonly brokerWorkers: number;
  readonly logLevel: string;
  readonly profile: boolean;
  readonly profileOut: string;
  readonly maxLoad: number;
  readonly maxWaitMinutes: number;
  readonly json: string | undefined;
  readonly brokerRoot: string | undefined;
  readonly keep: boolean;
  readonly composerLog: string | undefined;
  readonly bursts: number;
  readonly composerProfile: boolean;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: "string", default: "5" },
      packages: { type: "string", default: "160" },
      modes: { type: "string", default: "lock,resolve" },
      "broker-workers": { type: "string", default: "1" },
      "log-level": { type: "string", default: "info" },
      profile: { type: "boolean", default: false },
      "profile-out": { type: "string" },
      "max-load": { type: "string", default: "1.5" },
      "max-wait": { type: "string", default: "5" },
      json: { type: "string" },
      "skip-build": { type: "boolean", default: false },
      "broker-root": { type: "string" },
      keep: { type: "boolean", default: false },
      "composer-log": { type: "string" },
      bursts: { type: "string", default: "10" },
      "composer-profile": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const modes = values.modes.split(",").filter(Boolean);
  for (const mode of modes)
    if (mode !== "lock" && mode !== "resolve") throw new Error(`unknown mode ${mode}`);
  if (modes.length === 0) throw new Error("--modes is empty");
  const levels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  if (!levels.includes(values["log-level"]))
    throw new Error(`--log-level must be one of ${levels.join(", ")}`);
  const maxLoad = Number(values["max-load"]);
  if (!(maxLoad > 0)) throw new Error("--max-load must be a positive number");
  const given = values["broker-root"] ?? (values["skip-build"] ? PROJECT_ROOT : undefined);
  const brokerRoot = given === undefined ? undefined : path.resolve(given);
  if (brokerRoot !== undefined && !fs.existsSync(path.join(brokerRoot, "dist", "cli", "run-cli.js"))) {
    throw new Error(`there is no bin/package-broker.js with a built dist/ in ${brokerRoot}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return {
    rounds: countOption("rounds", values.rounds, 1, 50),
    packages: countOption("packages", values.packages, 1, 2000),
    modes: modes as Mode[],
    brokerWorkers: countOption("broker-workers", values["broker-workers"], 1, 64),
    logLevel: values["log-level"],
    profile: values.profile,
    profileOut: path.resolve(values["profile-out"] ?? `/tmp/pb-bench-${stamp}.cpuprofile`),
    maxLoad,
    maxWaitMinutes: countOption("max-wait", values["max-wait"], 0, 120),
    json: values.json,
    brokerRoot,
    keep: values.keep,
    composerLog: values["composer-log"] === undefined ? undefined : path.resolve(values["composer-log"]),
    composerProfile: values["composer-profile"],
    bursts: countOption("bursts", values.bursts, 0, 1000),
  };
}

/** One composer run may take this long before it is killed (and the bench fails). */
const COMPOSER_TIMEOUT_MS = 300_000;

/** An upper bound for the whole run, so a hang cannot keep the machine busy. */
function timeLimitMs(options: Options): number {
  const setup = 600 + options.packages;
  const runs = options.rounds * options.modes.length * 2 * 120 + options.bursts * 4 * 30;
  return (setup + options.maxWaitMinutes * 60 + runs) * 1000;
}

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

interface RunRecord {
  readonly mode: Mode;
  readonly source: Source;
  readonly round: number;
  readonly wallMs: number;
  readonly installed: number;
  /** Requests nginx served during the run (straight, or the broker asking its upstream). */
  readonly upstreamRequests: number;
  /** The broker's log for the run (broker runs only). */
  readonly broker?: BrokerRequests;
  /** The broker's CPU during the run, in seconds (broker runs only). */
  readonly brokerCpuSeconds?: number;
  readonly loadAverage: string;
}

interface Broker {
  readonly child: TrackedChild;
  readonly url: string;
  readonly logFile: string;
}

async function main(options: Options, cleanup: Cleanup): Promise<void> {
  if (!fs.existsSync(NGINX_BIN)) throw new Error("nginx is not installed (Debian: apt-get install nginx)");
  const composer = composerVersion();
  if (composer === "unknown") throw new Error("composer is not installed (Debian: apt-get install composer)");

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pb-bench-proxy-install-"));
  cleanup.removeLater(tmp);
  // nginx's workers (started by root) run as nobody: they must read the docroot.
  fs.chmodSync(tmp, 0o755);
  if (options.keep) log(`temp dir (kept): ${tmp}`);

  let brokerRoot = options.brokerRoot;
  if (brokerRoot === undefined) {
    const started = performance.now();
    brokerRoot = buildPrivateCopy(PROJECT_ROOT, path.join(tmp, "build"));
    log(`src/ built into the temp dir in ${seconds(performance.now() - started)}`);
  }

  // The upstream: a static Composer v2 repository served by nginx.
  const started = performance.now();
  const graph = upstreamPackages(options.packages);
  const upstream = await StaticComposerRepository.create(path.join(tmp, "upstream"));
  for (const pkg of graph.packages) upstream.addPackage(pkg.name, pkg.versions);
  await upstream.start();
  stopNginxOnExit(path.join(tmp, "upstream", "nginx.pid"));
  cleanup.beforeRemovingDirs(() => {
    killByPidFile(path.join(tmp, "upstream", "nginx.pid"));
  });
  log(
    `upstream: ${graph.packages.length} packages × 5 versions, ${graph.edges} requires between packages, ` +
      `the project requires ${Object.keys(graph.rootRequire).length} directly; nginx ${nginxVersion()} on ${upstream.url} ` +
      `(${seconds(performance.now() - started)})`,
  );
  try {
    await measure(options, cleanup, tmp, brokerRoot, upstream, graph);
  } finally {
    // Before the temp dir goes: nginx writes into it until it has exited.
    await upstream.stop();
  }
}

/** Everything after the upstream started: the broker, the locks and warm-up, the rounds, the report. */
async function measure(
  options: Options,
  cleanup: Cleanup,
  tmp: string,
  brokerRoot: string,
  upstream: StaticComposerRepository,
  graph: UpstreamPackages,
): Promise<void> {
  // The broker: a composer repository proxying the upstream, a read token.
  const port = await freePort();
  const brokerUrl = `http://127.0.0.1:${port}`;
  const brokerEnv = {
    PATH: process.env.PATH,
    PB_DATA_DIR: path.join(tmp, "data"),
    PB_BASE_URL: brokerUrl,
    // The upstream is on loopback.
    PB_ALLOW_PRIVATE_SOURCES: "true",
    // A warm cache stays fresh for the whole run: no revalidation is started during the rounds.
    PB_PROXY_METADATA_MAX_AGE_SECONDS: "86400",
  };
  const cli = brokerCli(cleanup, brokerRoot, brokerEnv);
  await cli.json(["migrate"]);
  await cli.json([
    "repo",
    "add",
    "--type",
    "composer",
    "--url",
    upstream.url,
    "--name",
    "static-upstream",
    "--packages",
    ...VENDORS.map((vendor) => `${vendor}/*`),
  ]);
  // A token per composer run and per burst, as each CI job would have: one token downloading the
  // whole project dozens of times in a few minutes trips the default mass-download alert rules,
  // whose response suspends the token (the 403s of earlier runs).
  const mintToken = async (label: string): Promise<string> =>
    (
      await cli.json<{ token: string }>([
        "token",
        "create",
        "--description",
        `composer proxy install benchmark: ${label}`,
      ])
    ).token;
  const token = await mintToken("lock");
  const broker = await startBroker(cleanup, options, brokerRoot, tmp, {
    ...brokerEnv,
    PB_PORT: String(port),
  });
  log(
    `broker on ${brokerUrl} (${path.join(brokerRoot, "bin", "package-broker.js")}, PB_WORKERS=${options.brokerWorkers}, PB_LOG_LEVEL=${options.logLevel})`,
  );

  const sources: Record<Source, { url: string; token?: string }> = {
    nginx: { url: upstream.url },
    broker: { url: brokerUrl, token },
  };

  // One lock per source, written by `composer update` against it. The broker's is the warm-up:
  // every p2 document and dist is fetched from the upstream and stored.
  const locks = {} as Record<Source, string>;
  for (const source of ["nginx", "broker"] as const) {
    const dir = path.join(tmp, "lock", source);
    writeComposerProject(dir, {
      repositoryUrl: sources[source].url,
      require: graph.rootRequire,
      ...tokenOf(sources[source]),
    });
    const before = upstream.requestedPaths().length;
    const result = await runComposer(cleanup, dir, ["update"], COMPOSER_TIMEOUT_MS);
    locks[source] = fs.readFileSync(path.join(dir, "composer.lock"), "utf8");
    log(
      `composer update against ${source}: ${result.installed} packages in ${seconds(result.wallMs)}, ` +
        `${upstream.requestedPaths().length - before} upstream requests`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const lockSummary = compareLocks(locks.nginx, locks.broker, brokerUrl);
  log(lockSummary);

  // Measure only on a quiet machine, as far as we can wait for one.
  const waited = await waitForLoad(options.maxLoad, options.maxWaitMinutes);
  const facts = machineFacts(tmp);
  log(`${formatMachine(facts)}${waited > 0 ? ` (after waiting ${Math.round(waited / 1000)} s)` : ""}`);
  if ((os.loadavg()[0] ?? 0) > options.maxLoad) {
    log(`WARNING: load ${facts.load} is above ${options.maxLoad}; numbers will be noisy`);
  }

  const records: RunRecord[] = [];
  let logOffset = fs.statSync(broker.logFile).size;
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate which source goes first, so neither always runs on a machine the other just warmed.
    const order: Source[] = round % 2 === 1 ? ["nginx", "broker"] : ["broker", "nginx"];
    for (const mode of options.modes) {
      for (const source of order) {
        const dir = path.join(tmp, "runs", `${mode}-${source}-${round}`);
        if (source === "broker") sources.broker.token = await mintToken(`${mode} round ${round}`);
        writeComposerProject(dir, {
          repositoryUrl: sources[source].url,
          require: graph.rootRequire,
          ...tokenOf(sources[source]),
          ...(mode === "lock" ? { lock: locks[source] } : {}),
        });
        await sleep(300);
        const loadAverage = os
          .loadavg()
          .map((n) => n.toFixed(2))
          .join(" ");
        const upstreamBefore = upstream.requestedPaths().length;
        const cpu = source === "broker" ? cpuMeter(broker.child.process.pid ?? 0) : undefined;
        const args = options.composerProfile ? ["install", "-vvv", "--profile"] : ["install"];
        const result = await runComposer(cleanup, dir, args, COMPOSER_TIMEOUT_MS);
        if (options.composerLog !== undefined) {
          fs.mkdirSync(options.composerLog, { recursive: true });
          fs.writeFileSync(path.join(options.composerLog, `${mode}-${source}-${round}.log`), result.output);
        }
        const cores = cpu?.();
        if (!broker.child.running) throw new Error("the broker exited during the run");
        const upstreamRequests = upstream.requestedPaths().length - upstreamBefore;
        let brokerRequests: BrokerRequests | undefined;
        if (source === "broker") {
          await sleep(200); // the log is written asynchronously
          const taken = brokerRequestsSince(broker.logFile, logOffset);
          brokerRequests = taken.requests;
          logOffset = taken.offset;
        } else {
          logOffset = fs.statSync(broker.logFile).size;
        }
        if (result.installed < graph.packages.length) {
          throw new Error(`${mode}/${source}: only ${result.installed} packages installed\n${result.output}`);
        }
        const record: RunRecord = {
          mode,
          source,
          round,
          wallMs: result.wallMs,
          installed: result.installed,
          upstreamRequests,
          ...(brokerRequests === undefined ? {} : { broker: brokerRequests }),
          ...(cores === undefined ? {} : { brokerCpuSeconds: (cores * result.wallMs) / 1000 }),
          loadAverage,
        };
        records.push(record);
        log(
          `round ${round} ${mode.padEnd(7)} ${source.padEnd(6)} ${seconds(result.wallMs).padStart(8)}  ` +
            `${result.installed} installed, ${upstreamRequests} nginx requests` +
            (brokerRequests === undefined
              ? ""
              : `, ${brokerRequests.total} broker requests (${brokerRequests.byKind.p2.count} p2, ${brokerRequests.byKind.dist.count} dists), broker CPU ${(record.brokerCpuSeconds ?? 0).toFixed(2)} s`) +
            `  load ${loadAverage}`,
        );
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }

  // A failing burst is reported, and the rounds above are still reported.
  const bursts = await measureBursts(options.bursts, locks, graph, sources, mintToken).catch(
    (error: unknown) => {
      log(
        `download phase without composer failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return [];
    },
  );

  // Stop the broker first: with --profile, node writes the .cpuprofile as it exits.
  await broker.child.stop();
  const loadAfter = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
  printReport(options, records, bursts, {
    machine: formatMachine(facts),
    loadAfter,
    composer: composerVersion(),
    php: phpVersion(),
    nginx: nginxVersion(),
    packages: graph.packages.length,
    edges: graph.edges,
    direct: Object.keys(graph.rootRequire).length,
    lockSummary,
  });
  if (options.profile) keepCpuProfiles(path.join(tmp, "profile"), options.profileOut, brokerRoot);
  if (options.json !== undefined) {
    fs.writeFileSync(
      options.json,
      `${JSON.stringify({ facts, loadAfter, options, records, bursts }, null, 2)}\n`,
    );
    log(`results written to ${options.json}`);
  }
}

interface BurstRecord {
  readonly kind: "dists" | "p2";
  readonly source: Source;
  readonly round: number;
  readonly requests: number;
  readonly wallMs: number;
}

/** The download phase alone, without composer: every dist of each lock, then every p2 document. */
async function measureBursts(
  rounds: number,
  locks: Record<Source, string>,
  graph: UpstreamPackages,
  sources: Record<Source, { url: string; token?: string }>,
  mintToken: (label: string) => Promise<string>,
): Promise<BurstRecord[]> {
  const records: BurstRecord[] = [];
  const headers = (source: Source): Record<string, string> => {
    const token = sources[source].token;
    return token === undefined
      ? {}
      : { authorization: `Basic ${Buffer.from(`token:${token}`).toString("base64")}` };
  };
  const urls = (kind: "dists" | "p2", source: Source): string[] =>
    kind === "dists"
      ? [...lockedPackages(locks[source]).values()].map((p) => p.distUrl)
      : graph.packages.map((p) => `${sources[source].url}/p2/${p.name}.json`);
  for (let round = 1; round <= rounds; round++) {
    const order: Source[] = round % 2 === 1 ? ["nginx", "broker"] : ["broker", "nginx"];
    sources.broker.token = await mintToken(`burst round ${round}`);
    for (const kind of ["dists", "p2"] as const) {
      for (const source of order) {
        const list = urls(kind, source);
        const wallMs = await downloadBurst(list, headers(source));
        records.push({ kind, source, round, requests: list.length, wallMs });
      }
    }
  }
  if (rounds > 0) log(`download phase without composer: ${rounds} rounds done`);
  return records;
}

function tokenOf(source: { token?: string }): { token?: string } {
  return source.token === undefined ? {} : { token: source.token };
}

/**
 * The two locks must pin the same versions and dist references (only the dist URLs differ: the
 * broker's point at itself), or the two installs would not be the same work.
 */
function compareLocks(nginxLock: string, brokerLock: string, brokerUrl: string): string {
  const direct = lockedPackages(nginxLock);
  const proxied = lockedPackages(brokerLock);
  if (direct.size !== proxied.size) {
    throw new Error(`the locks differ: ${direct.size} packages from nginx, ${proxied.size} from the broker`);
  }
  for (const [name, locked] of direct) {
    const other = proxied.get(name);
    if (other?.version !== locked.version || other.reference !== locked.reference) {
      throw new Error(`the locks differ for ${name}: ${JSON.stringify(locked)} vs ${JSON.stringify(other)}`);
    }
    if (!other.distUrl.startsWith(`${brokerUrl}/dists/`)) {
      throw new Error(`the broker's lock does not point ${name} at the broker: ${other.distUrl}`);
    }
  }
  const versions = new Map<string, number>();
  for (const locked of direct.values()) versions.set(locked.version, (versions.get(locked.version) ?? 0) + 1);
  const spread = [...versions.entries()]
    .sort(([a], [b]) => b.localeCompare(a))
    .map(([version, n]) => `${n} × ${version}`)
    .join(", ");
  return `both locks pin the same ${direct.size} packages and references (${spread}); only the dist URLs differ`;
}

async function startBroker(
  cleanup: Cleanup,
  options: Options,
  brokerRoot: string,
  tmp: string,
  env: Record<string, string | undefined>,
): Promise<Broker> {
  const logFile = path.join(tmp, "broker.log");
  const errFile = path.join(tmp, "broker.stderr");
  const stdout = fs.openSync(logFile, "a");
  const stderr = fs.openSync(errFile, "a");
  const nodeFlags = options.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.join(tmp, "profile")}`] : [];
  const child = cleanup.spawn(
    "broker",
    process.execPath,
    [...nodeFlags, path.join(brokerRoot, "bin", "package-broker.js"), "serve"],
    {
      cwd: brokerRoot,
      env: benchServeEnv(env, options),
      stdio: ["ignore", stdout, stderr],
    },
  );
  fs.closeSync(stdout);
  fs.closeSync(stderr);
  child.process.once("exit", (code, signal) => {
    if (code !== 0 && signal === null) {
      log(`the broker exited with ${code}; stderr:\n${fs.readFileSync(errFile, "utf8").slice(-4000)}`);
    }
  });
  const url = `http://127.0.0.1:${env.PB_PORT ?? ""}`;
  await waitForHttp(`${url}/health`, [200], 30_000, child);
  return { child, url, logFile };
}

/** nginx (StaticComposerRepository's) is a child of ours; a sudden exit must not leave it running. */
function stopNginxOnExit(pidFile: string): void {
  process.once("exit", () => {
    killByPidFile(pidFile);
  });
}

/** SIGQUIT to the nginx master of the pid file, then waits (synchronously, up to 5 s) until it is gone. */
function killByPidFile(pidFile: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  } catch {
    return; // already stopped (nginx removes its pid file) or never started
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, "SIGQUIT");
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 5000 && alive(); waited += 50) Atomics.wait(pause, 0, 0, 50);
}

interface ReportFacts {
  readonly machine: string;
  readonly loadAfter: string;
  readonly composer: string;
  readonly php: string;
  readonly nginx: string;
  readonly packages: number;
  readonly edges: number;
  readonly direct: number;
  readonly lockSummary: string;
}

function printReport(
  options: Options,
  records: readonly RunRecord[],
  bursts: readonly BurstRecord[],
  facts: ReportFacts,
): void {
  const out: string[] = [];
  out.push("", "Composer proxy install", "");
  out.push(`Machine:   ${facts.machine}`);
  out.push(`Load after: ${facts.loadAfter}`);
  out.push(
    `Clients:   composer ${facts.composer}, PHP ${facts.php}; upstream nginx ${facts.nginx} (1 worker)`,
  );
  out.push(
    `Project:   ${facts.packages} packages installed (5 versions each, ${facts.edges} requires between them), ${facts.direct} required directly`,
  );
  out.push(`Locks:     ${facts.lockSummary}`);
  out.push(
    `Runs:      ${options.rounds} rounds, alternating the first source; fresh COMPOSER_HOME, COMPOSER_CACHE_DIR and vendor/ each`,
  );
  const rows: string[][] = [
    ["mode", "nginx median", "nginx min–max", "broker median", "broker min–max", "broker/nginx", "target"],
  ];
  for (const mode of options.modes) {
    const walls = (source: Source): number[] =>
      records.filter((r) => r.mode === mode && r.source === source).map((r) => r.wallMs);
    const nginx = walls("nginx");
    const broker = walls("broker");
    const ratio = median(broker) / median(nginx);
    rows.push([
      mode === "lock" ? "install from composer.lock" : "install without a lock (resolve)",
      seconds(median(nginx)),
      `${seconds(Math.min(...nginx))}–${seconds(Math.max(...nginx))}`,
      seconds(median(broker)),
      `${seconds(Math.min(...broker))}–${seconds(Math.max(...broker))}`,
      ratio.toFixed(2),
      ratio <= TARGET ? `met (≤ ${TARGET})` : `NOT met (> ${TARGET})`,
    ]);
  }
  out.push("", textTable(rows), "");
  const detail: string[][] = [
    [
      "mode",
      "requests to broker",
      "p2",
      "dists",
      "broker time p2",
      "broker time dists",
      "broker CPU",
      "upstream req.",
    ],
  ];
  for (const mode of options.modes) {
    const runs = records.filter((r) => r.mode === mode && r.source === "broker");
    const med = (pick: (r: RunRecord) => number): number => median(runs.map(pick));
    detail.push([
      mode,
      String(med((r) => r.broker?.total ?? 0)),
      String(med((r) => r.broker?.byKind.p2.count ?? 0)),
      String(med((r) => r.broker?.byKind.dist.count ?? 0)),
      `${med((r) => r.broker?.byKind.p2.durationMs ?? 0).toFixed(0)} ms`,
      `${med((r) => r.broker?.byKind.dist.durationMs ?? 0).toFixed(0)} ms`,
      `${med((r) => r.brokerCpuSeconds ?? 0).toFixed(2)} s`,
      String(runs.reduce((sum, r) => sum + r.upstreamRequests, 0)),
    ]);
  }
  out.push("Broker runs (medians; broker time = the log's duration summed, body not included):", "");
  out.push(textTable(detail), "");
  if (bursts.length > 0) {
    const burstRows: string[][] = [
      [
        "download phase alone",
        "requests",
        "nginx median",
        "broker median",
        "broker/nginx",
        "broker − nginx per request",
      ],
    ];
    for (const kind of ["dists", "p2"] as const) {
      const of = (source: Source): number =>
        median(bursts.filter((b) => b.kind === kind && b.source === source).map((b) => b.wallMs));
      const requests = bursts.find((b) => b.kind === kind)?.requests ?? 0;
      burstRows.push([
        kind === "dists" ? "every dist of the lock" : "every p2 document",
        String(requests),
        `${of("nginx").toFixed(0)} ms`,
        `${of("broker").toFixed(0)} ms`,
        (of("broker") / of("nginx")).toFixed(2),
        `${((of("broker") - of("nginx")) / Math.max(1, requests)).toFixed(2)} ms`,
      ]);
    }
    out.push(
      `Without composer (${bursts.length / 4} rounds, 12 at a time over keep-alive, medians):`,
      "",
      textTable(burstRows),
      "",
    );
  }
  out.push("Markdown:", "", markdownTable(rows), "");
  process.stdout.write(`${out.join("\n")}\n`);
}

process.exitCode = await benchEntry({ parse: parseOptions, help: HELP, timeLimitMs, main });
