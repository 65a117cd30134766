/**
 * Audit-log append throughput: `node bench/audit-append/run.ts [--help]`.
 *
 * Drives the real write path (AuditLog -> AuditRecords -> Kysely -> the database, with the
 * checkpointer wired as openAudit wires it) with N appenders that each keep one append in flight:
 * `await log.append(...)` resolves only when the event is committed, so this is the rate of
 * durable appends with group commit. SQLite runs on a file in a temp dir (ext4 here: fsync is
 * real) with synchronous=FULL (what the server uses) and NORMAL; PostgreSQL runs in a throwaway
 * cluster, with fsync on (the test harness turns it off) and off. Bounded in time; the temp dir
 * and the cluster are removed on success, failure, Ctrl-C or the time limit.
 */
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { countOption } from "../metadata-throughput/bench-entry.ts";
import { sql } from "kysely";
import pg from "pg";
import { AuditCheckpointer } from "../../src/audit/audit-checkpointer.ts";
import type { AuditContext, AuditEventInput } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { createNoteSigner } from "../../src/audit/integrity/signed-note.ts";
import { systemClock } from "../../src/clock/clock.ts";
import { createSilentLogger } from "../../src/observability/logger.ts";
import { AuditRecords } from "../../src/storage/database/audit-records.ts";
import { AuditSearchIndex } from "../../src/storage/database/audit-search-index.ts";
import { startSearchIndexer } from "../../src/audit/search/start-search-indexer.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { migrateToLatest } from "../../src/storage/database/migrate-to-latest.ts";
import { openPostgresDatabase } from "../../src/storage/database/postgres-database.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { formatProfile, summarizeCpuProfile } from "../metadata-throughput/cpu-profile.ts";
import { markdownTable, median, textTable } from "../metadata-throughput/report.ts";
import {
  postgresAvailable,
  startPostgresCluster,
  type PostgresCluster,
} from "../../test/support/postgres-cluster.ts";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

const TARGETS = {
  "sqlite-normal":
    "SQLite file, WAL, synchronous=NORMAL (before b64cc97: survives a crash, not a power loss)",
  "sqlite-full":
    "SQLite file, WAL, synchronous=FULL (the server's setting: the WAL is fsynced at every commit)",
  postgres: "PostgreSQL 15, fsync=on, synchronous_commit=on",
  "postgres-nofsync": "PostgreSQL 15, fsync=off (as the test harness runs it: not durable)",
} as const;
type TargetId = keyof typeof TARGETS;

const HELP = `Usage: node bench/audit-append/run.ts [options]

  --targets LIST      comma-separated: ${Object.keys(TARGETS).join(",")} (default all;
                      the PostgreSQL ones are skipped when initdb/pg_ctl are not installed)
  --concurrency LIST  appends in flight, comma-separated (default 1,16,256)
  --seconds S         measured seconds per target and concurrency (default 5)
  --warmup S          unmeasured seconds before each measurement (default 1)
  --profile           CPU-profile each measured run (node:inspector) and print where the time went
  --no-indexer        do not run the audit search indexer beside the appends (the server runs it)
  --json FILE         also write the results as JSON
`;

interface Options {
  readonly targets: readonly TargetId[];
  readonly concurrency: readonly number[];
  readonly seconds: number;
  readonly warmup: number;
  readonly profile: boolean;
  readonly indexer: boolean;
  readonly json: string | undefined;
}

interface Result {
  readonly target: TargetId;
  readonly concurrency: number;
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly commits: number;
  readonly eventsPerCommit: number;
  /** Cores this process kept busy (the PostgreSQL server's CPU is not included). */
  readonly cores: number;
  /** Events the search indexer indexed per second of the measured window (null: not run). */
  readonly indexedPerSecond: number | null;
  /** Events appended but not yet indexed when the window closed. */
  readonly indexLag: number | null;
  /** Seconds the indexer then took to catch up. */
  readonly catchUpSeconds: number | null;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      targets: { type: "string", default: Object.keys(TARGETS).join(",") },
      concurrency: { type: "string", default: "1,16,256" },
      seconds: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      profile: { type: "boolean", default: false },
      "no-indexer": { type: "boolean", default: false },
      json: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const targets = values.targets.split(",").filter(Boolean);
  for (const id of targets) if (!(id in TARGETS)) throw new Error(`unknown target ${id}`);
  if (targets.length === 0) throw new Error("--targets is empty");
  const concurrency = values.concurrency
    .split(",")
    .filter(Boolean)
    .map((n) => countOption("concurrency", n, 1, 10_000));
  if (concurrency.length === 0) throw new Error("--concurrency is empty");
  return {
    targets: targets as TargetId[],
    concurrency,
    seconds: countOption("seconds", values.seconds, 1, 120),
    warmup: countOption("warmup", values.warmup, 0, 60),
    profile: values.profile,
    indexer: !values["no-indexer"],
    json: values.json,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Everything to undo: the temp dir and the PostgreSQL cluster. */
class Cleanup {
  tmp: string | undefined;
  cluster: PostgresCluster | undefined;

  run(): void {
    const { cluster, tmp } = this;
    this.cluster = undefined;
    this.tmp = undefined;
    try {
      cluster?.stop();
    } finally {
      if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

/** A fresh, migrated, empty database of the target. */
async function openTarget(
  target: TargetId,
  tmp: string,
  cleanup: Cleanup,
  run: number,
): Promise<DatabaseHandle> {
  if (target === "sqlite-normal" || target === "sqlite-full") {
    const handle = openSqliteDatabase(path.join(tmp, `audit-${run}.sqlite`));
    // Set both ways: openSqliteDatabase's own setting may change.
    await sql.raw(`pragma synchronous = ${target === "sqlite-full" ? "FULL" : "NORMAL"}`).execute(handle.db);
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(handle.db);
    const expected = target === "sqlite-full" ? 2 : 1;
    if (rows[0]?.synchronous !== expected) throw new Error(`pragma synchronous is not ${expected}`);
    await migrateToLatest(handle.db);
    return handle;
  }
  cleanup.cluster ??= await startPostgresCluster({ durable: true });
  const admin = new pg.Client({ connectionString: cleanup.cluster.url });
  await admin.connect();
  const name = `bench_${run}`;
  try {
    // fsync can be changed with a reload (a durable cluster leaves it off the command line).
    await admin.query(`alter system set fsync = ${target === "postgres" ? "on" : "off"}`);
    await admin.query("select pg_reload_conf()");
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const handle = openPostgresDatabase(cleanup.cluster.url.replace(/\/postgres$/, `/${name}`));
  try {
    await migrateToLatest(handle.db);
    // The reload is asynchronous: wait until a session sees the setting.
    const wanted = target === "postgres" ? "on" : "off";
    for (let i = 0; ; i++) {
      const { rows } = await sql<{ fsync: string }>`show fsync`.execute(handle.db);
      if (rows[0]?.fsync === wanted) break;
      if (i > 50) throw new Error(`fsync did not become ${wanted}`);
      await sleep(100);
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** An event shaped like the one every dist download records. */
function downloadEvent(n: number): AuditEventInput {
  return {
    event: "package_access",
    action: "download",
    outcome: "success",
    target: { type: "package", name: `acme/package-${n % 50}`, version: "1.4.2" },
    details: { status: 200, reference: "8f3c1a9e0b7d4c2f6a5e9d8c7b6a5f4e3d2c1b0a" },
  };
}

function contextOf(appender: number, n: number): AuditContext {
  return {
    actor: {
      type: "token",
      id: `tok_${String(appender % 8).padStart(4, "0")}f3a9c2e1`,
      auth_method: "bearer",
    },
    ipAddress: `203.0.113.${appender % 250}`,
    userAgent: "Composer/2.8.4 (Linux; 6.1.0; PHP 8.3.9; cURL 7.88.1; Platform-PHP 8.3.9)",
    requestId: `req_bench_${appender}_${n}`,
  };
}

async function measure(
  target: TargetId,
  handle: DatabaseHandle,
  concurrency: number,
  options: Options,
): Promise<Result> {
  const records = new AuditRecords(handle.db);
  const { privateKey } = generateKeyPairSync("ed25519");
  const checkpointer = new AuditCheckpointer({
    records,
    signer: createNoteSigner({ name: "bench.example/audit", privateKey }),
    origin: "bench.example/audit",
    clock: systemClock,
    logger: createSilentLogger(),
    // The server's defaults (PB_AUDIT_CHECKPOINT_EVENTS, PB_AUDIT_CHECKPOINT_SECONDS).
    policy: { everyEvents: 1000, everyMs: 60_000 },
  });
  let measuring = false;
  let stopping = false;
  let commits = 0;
  const auditLog = new AuditLog({
    records,
    clock: systemClock,
    onCommitted: (state, root) => {
      if (measuring) commits++;
      // As openAudit wires it (the checkpointer catches and logs its own failures).
      return checkpointer.committed(state, root);
    },
  });
  await checkpointer.checkpointNow();
  checkpointer.start();
  // As the server runs it: on an SQLite file, in its worker thread; on PostgreSQL, on this loop.
  const index = new AuditSearchIndex(handle.db);
  const indexer = options.indexer
    ? startSearchIndexer({
        database:
          handle.engine === "sqlite"
            ? { kind: "sqlite", file: handle.description.slice("sqlite:".length) }
            : { kind: "postgres", url: handle.description },
        db: handle.db,
        logger: createSilentLogger(),
      })
    : undefined;

  const latencies: number[] = [];
  let appended = 0;
  const appender = async (id: number): Promise<void> => {
    for (let n = 0; !stopping; n++) {
      const started = performance.now();
      await auditLog.append(downloadEvent(n), contextOf(id, n));
      appended++;
      if (measuring) latencies.push(performance.now() - started);
    }
  };
  const appenders = Array.from({ length: concurrency }, (_, id) => appender(id));
  await sleep(options.warmup * 1000);

  const session = options.profile ? new Session() : undefined;
  if (session !== undefined) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  const indexBefore = indexer === undefined ? undefined : await index.status();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  measuring = true;
  await sleep(options.seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const indexAfter = indexer === undefined ? undefined : await index.status();
  let profileFile: string | undefined;
  if (session !== undefined) {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    profileFile = path.join(os.tmpdir(), `pb-audit-append-${target}-${concurrency}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(profileFile, JSON.stringify(profile));
  }
  stopping = true;
  await Promise.all(appenders);
  await auditLog.flush();
  await checkpointer.stop();
  let catchUpSeconds: number | null = null;
  if (indexer !== undefined) {
    const since = performance.now();
    for (;;) {
      const status = await index.status();
      if (status.indexedThrough >= status.size) break;
      await sleep(50);
    }
    catchUpSeconds = (performance.now() - since) / 1000;
    await indexer.stop();
  }

  // Everything appended is there, with seq 1..N (N also counts the warm-up and the tail).
  const { rows } = await sql<{ n: number | string; high: number | string | null }>`
    select count(*) as n, max(seq) as high from audit_logs`.execute(handle.db);
  const stored = Number(rows[0]?.n);
  if (stored !== appended || Number(rows[0]?.high) !== appended) {
    throw new Error(`${target}: ${appended} appended, but ${stored} rows (max seq ${rows[0]?.high})`);
  }
  if (profileFile !== undefined) {
    process.stdout.write(
      `\n--- ${target}, ${concurrency} in flight ---\n${formatProfile(summarizeCpuProfile([profileFile], PROJECT_ROOT, 15))}\n`,
    );
    log(`CPU profile kept at ${profileFile}`);
  }

  const sorted = latencies.sort((a, b) => a - b);
  const quantile = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    target,
    concurrency,
    events: sorted.length,
    eventsPerSecond: sorted.length / elapsed,
    p50Ms: quantile(0.5),
    p99Ms: quantile(0.99),
    maxMs: sorted.at(-1) ?? NaN,
    commits,
    eventsPerCommit: commits === 0 ? 0 : sorted.length / commits,
    cores: (cpu.user + cpu.system) / 1e6 / elapsed,
    indexedPerSecond:
      indexBefore === undefined || indexAfter === undefined
        ? null
        : (indexAfter.indexedThrough - indexBefore.indexedThrough) / elapsed,
    indexLag: indexAfter === undefined ? null : indexAfter.size - indexAfter.indexedThrough,
    catchUpSeconds,
  };
}

async function main(options: Options, cleanup: Cleanup): Promise<void> {
  const targets = options.targets.filter((target) => {
    if (!target.startsWith("postgres") || postgresAvailable()) return true;
    log(`skipping ${target}: PostgreSQL server binaries not found (PB_TEST_PG_BIN)`);
    return false;
  });
  const load = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
  const cpuModel = os.cpus()[0]?.model.trim() ?? "unknown";
  log(`${os.availableParallelism()} CPUs (${cpuModel}), node ${process.version}, load ${load}`);
  cleanup.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-append-"));
  const results: Result[] = [];
  let run = 0;
  for (const target of targets) {
    for (const concurrency of options.concurrency) {
      const handle = await openTarget(target, cleanup.tmp, cleanup, run++);
      try {
        const result = await measure(target, handle, concurrency, options);
        results.push(result);
        log(
          `${target.padEnd(16)} ${String(concurrency).padStart(4)} in flight  ` +
            `${Math.round(result.eventsPerSecond).toLocaleString("en-US").padStart(7)} events/s  ` +
            `p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  ` +
            `${result.eventsPerCommit.toFixed(1)} events/commit  ${result.cores.toFixed(2)} cores`,
        );
      } finally {
        await handle.close();
      }
    }
  }

  const header = [
    "target",
    "in flight",
    "events/s",
    "p50",
    "p99",
    "max",
    "events/commit",
    "commits/s",
    "CPU",
    "events/CPU-s",
    "indexed/s",
    "index lag",
    "catch-up",
  ];
  const rows = [
    header,
    ...results.map((r) => [
      r.target,
      String(r.concurrency),
      Math.round(r.eventsPerSecond).toLocaleString("en-US"),
      `${r.p50Ms.toFixed(2)} ms`,
      `${r.p99Ms.toFixed(2)} ms`,
      `${r.maxMs.toFixed(1)} ms`,
      r.eventsPerCommit.toFixed(1),
      Math.round(r.commits / options.seconds).toLocaleString("en-US"),
      `${r.cores.toFixed(2)} cores`,
      Math.round(r.eventsPerSecond / r.cores).toLocaleString("en-US"),
      r.indexedPerSecond === null ? "-" : Math.round(r.indexedPerSecond).toLocaleString("en-US"),
      r.indexLag === null ? "-" : r.indexLag.toLocaleString("en-US"),
      r.catchUpSeconds === null ? "-" : `${r.catchUpSeconds.toFixed(1)} s`,
    ]),
  ];
  const out = [
    "",
    "=== Audit log: durable appends (group commit), one process ===",
    "",
    `Date:     ${new Date().toISOString()}`,
    `Machine:  ${os.availableParallelism()} CPUs, ${cpuModel}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    `Node:     ${process.version}; load average ${load} before, ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")} after`,
    `Settings: ${options.seconds} s measured after ${options.warmup} s warm-up per row; each appender keeps one append in flight`,
    "CPU:      cores this process kept busy; events/CPU-s = events/s / CPU: what a free core would sustain if",
    "          the process is CPU-bound (on a busy machine it gets less than a core)",
    options.indexer
      ? "Index:    the audit search indexer ran beside the appends, as in the server (SQLite: its worker thread,\n" +
        "          included in CPU); indexed/s in the window, events not yet indexed when it closed, and the\n" +
        "          time it then took to catch up"
      : "Index:    the audit search indexer did not run (--no-indexer)",
    ...targets.map((t) => `  ${t}: ${TARGETS[t]}`),
    "",
    textTable(rows),
    "",
    "Markdown:",
    "",
    markdownTable(rows),
    "",
  ];
  // The server's setting; NORMAL when FULL was not measured.
  const serverTarget = results.some((r) => r.target === "sqlite-full") ? "sqlite-full" : "sqlite-normal";
  const sqlite = results.filter((r) => r.target === serverTarget);
  if (sqlite.length > 0) {
    const best = Math.max(...sqlite.map((r) => r.eventsPerSecond));
    const perCore = median(sqlite.filter((r) => r.concurrency >= 16).map((r) => r.eventsPerSecond / r.cores));
    out.push(
      `Target >= 20,000 events/s on SQLite (${serverTarget}, best concurrency): ${best >= 20_000 ? "met" : "NOT met"} ` +
        `(${Math.round(best).toLocaleString("en-US")} events/s; ${Math.round(perCore).toLocaleString("en-US")} events per CPU-second with >= 16 in flight)`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
  if (options.json !== undefined) {
    fs.writeFileSync(options.json, `${JSON.stringify({ options, load, results }, null, 2)}\n`);
    log(`results written to ${options.json}`);
  }
}

async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function entry(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (options === undefined) return 0;
  const cleanup = new Cleanup();
  process.once("exit", () => {
    cleanup.run();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
  const runs = options.targets.length * options.concurrency.length;
  const limitMs = (120 + runs * (options.seconds + options.warmup + 30)) * 1000;
  const watchdog = setTimeout(() => {
    log(`time limit of ${Math.round(limitMs / 1000)} s reached: stopping`);
    process.exit(124);
  }, limitMs);
  watchdog.unref();
  try {
    await main(options, cleanup);
    return 0;
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    cleanup.run();
  }
}

process.exitCode = await entry();
