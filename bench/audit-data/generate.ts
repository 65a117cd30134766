/**
 * Fills a database with a synthetic audit log for the search and export benches:
 *
 *   node bench/audit-data/generate.ts --engine sqlite --out /tmp/pb-audit/audit-10m.sqlite
 *   node bench/audit-data/generate.ts --engine postgres --pg-url postgres://broker@127.0.0.1:55432/bench
 *
 * The events come from synthetic-events.ts (deterministic for a seed). Every row is valid: the
 * leaf hash is `leafHashHex(canonicalJson(event))`, seq runs 1..N, `ip_key` is what `eventToRow`
 * computes, and `audit_state` ends with the size and frontier of the Merkle tree, so the log
 * verifies (`--verify` checks it here) and the server can append to it.
 *
 * Fast path: the schema comes from the product's migrations; the rows are bulk-loaded (SQLite: one
 * prepared INSERT in transactions of --batch rows, no journal; PostgreSQL: COPY through psql in
 * chunks), then the search index is built from them (search-index-bulk.ts) with its secondary
 * indexes created after the load, each step timed.
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { AuditVerification } from "../../src/audit/audit-verification.ts";
import { eventToRow } from "../../src/audit/audit-row.ts";
import { canonicalJson } from "../../src/audit/integrity/canonical-json.ts";
import { signCheckpoint } from "../../src/audit/integrity/checkpoint.ts";
import { leafHashHex, MerkleAccumulator } from "../../src/audit/integrity/merkle.ts";
import { createNoteSigner, createNoteVerifier } from "../../src/audit/integrity/signed-note.ts";
import {
  AUDIT_ROW_COLUMNS,
  AuditRecords,
  type NewAuditRow,
} from "../../src/storage/database/audit-records.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { migrateToLatest } from "../../src/storage/database/migrate-to-latest.ts";
import { openPostgresDatabase } from "../../src/storage/database/postgres-database.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { searchStoreFile } from "../../src/storage/database/sqlite-search-store.ts";
import {
  formatBytes,
  formatCount,
  formatMachine,
  log,
  machineFacts,
  otherBenchmarks,
  runBench,
  waitForQuietMachine,
} from "./machine.ts";
import { copyField, fillPostgresSearchIndex, fillSqliteSearchIndex } from "./search-index-bulk.ts";
import { SyntheticEvents } from "./synthetic-events.ts";
import { DEFAULT_WORLD, World } from "./world.ts";

const HELP = `Usage: node bench/audit-data/generate.ts --engine sqlite|postgres [options]

  --engine E        sqlite or postgres (required)
  --events N        events to generate (default 10000000)
  --out FILE        SQLite: the database file to create (refused if it exists, unless --force)
  --pg-url URL      PostgreSQL: a database (its audit_logs must be empty; bench/audit-data/pg-cluster.ts
                    starts a cluster with a "bench" database)
  --seed N          world and event seed (default ${DEFAULT_WORLD.seed}; the search bench must use the same)
  --batch N         rows per transaction (SQLite) / per COPY (PostgreSQL) (default 100000 / 1000000)
  --keep-indexes    load with every index and trigger in place (the slow path, for comparison)
  --verify          afterwards, verify the whole log with the product's verifier (rows, seq, and
                    the stored tree state, through a checkpoint signed for the run)
  --no-wait         do not pause while another benchmark (wrk, metadata-throughput) runs
  --force           SQLite: replace an existing file; PostgreSQL: drop and create the database of
                    --pg-url first (through the cluster's "postgres" database)
  --time-limit MIN  stop after this many minutes (default 240)
  --json FILE       also write the step timings and sizes as JSON
`;

interface Options {
  readonly engine: "sqlite" | "postgres";
  readonly events: number;
  readonly out: string | undefined;
  readonly pgUrl: string | undefined;
  readonly seed: number;
  readonly batch: number;
  readonly keepIndexes: boolean;
  readonly verify: boolean;
  readonly wait: boolean;
  readonly force: boolean;
  readonly timeLimit: number;
  readonly json: string | undefined;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      engine: { type: "string" },
      events: { type: "string", default: "10000000" },
      out: { type: "string" },
      "pg-url": { type: "string" },
      seed: { type: "string", default: String(DEFAULT_WORLD.seed) },
      batch: { type: "string" },
      "keep-indexes": { type: "boolean", default: false },
      verify: { type: "boolean", default: false },
      "no-wait": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "time-limit": { type: "string", default: "240" },
      json: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const engine = values.engine;
  if (engine !== "sqlite" && engine !== "postgres") throw new Error("--engine must be sqlite or postgres");
  if (engine === "sqlite" && values.out === undefined) throw new Error("--out FILE is required for sqlite");
  if (engine === "postgres" && values["pg-url"] === undefined)
    throw new Error("--pg-url is required for postgres");
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  return {
    engine,
    events: positive("events", values.events),
    out: values.out,
    pgUrl: values["pg-url"],
    seed: positive("seed", values.seed),
    batch: positive("batch", values.batch ?? (engine === "sqlite" ? "100000" : "1000000")),
    keepIndexes: values["keep-indexes"],
    verify: values.verify,
    wait: !values["no-wait"],
    force: values.force,
    timeLimit: positive("time-limit", values["time-limit"]),
    json: values.json,
  };
}

/** Timed steps, printed as they finish; time spent waiting for other benchmarks is left out. */
class Steps {
  readonly done: { step: string; seconds: number; note?: string }[] = [];
  readonly #polite: Politeness;

  constructor(polite: Politeness) {
    this.#polite = polite;
  }

  async time<T>(
    step: string,
    work: () => Promise<T> | T,
    note?: (result: T, seconds: number) => string,
  ): Promise<T> {
    const started = performance.now();
    const waitedBefore = this.#polite.waitedMs;
    const result = await work();
    const seconds = (performance.now() - started - (this.#polite.waitedMs - waitedBefore)) / 1000;
    const text = note?.(result, seconds);
    this.done.push({ step, seconds, ...(text === undefined ? {} : { note: text }) });
    log(`${step}: ${seconds.toFixed(1)} s${text === undefined ? "" : ` (${text})`}`);
    return result;
  }
}

/** The generated rows, with the Merkle tree over them and the mix of categories. */
class RowSource {
  readonly tree = new MerkleAccumulator();
  readonly mix = new Map<string, number>();
  readonly #events: SyntheticEvents;
  canonicalBytes = 0;
  firstTimestamp = "";
  lastTimestamp = "";

  constructor(events: SyntheticEvents) {
    this.#events = events;
  }

  next(): NewAuditRow | undefined {
    const event = this.#events.next();
    if (event === undefined) return undefined;
    const canonical = canonicalJson(event);
    this.canonicalBytes += canonical.length;
    const leaf = leafHashHex(canonical);
    this.tree.appendHex(leaf);
    this.mix.set(event.event, (this.mix.get(event.event) ?? 0) + 1);
    if (this.firstTimestamp === "") this.firstTimestamp = event.timestamp;
    this.lastTimestamp = event.timestamp;
    return eventToRow(event, leaf);
  }
}

/** Insert order of the columns (the generated ones are the database's). */
const COLUMNS = [...AUDIT_ROW_COLUMNS, "ip_key"] as const satisfies readonly (keyof NewAuditRow)[];

async function migrate(handle: DatabaseHandle): Promise<void> {
  try {
    await migrateToLatest(handle.db);
    const state = await new AuditRecords(handle.db).state();
    if (state.size !== 0) throw new Error(`the audit log already holds ${state.size} events`);
  } finally {
    await handle.close();
  }
}

/** Pauses between batches while another benchmark runs (checked every few seconds). */
class Politeness {
  readonly #enabled: boolean;
  #lastCheck = 0;
  waitedMs = 0;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  async check(): Promise<void> {
    if (!this.#enabled || Date.now() - this.#lastCheck < 5000) return;
    this.#lastCheck = Date.now();
    if (otherBenchmarks().length === 0) return;
    this.waitedMs += await waitForQuietMachine(true, 4 * 60 * 60_000);
  }
}

async function generateSqlite(
  options: Options,
  source: RowSource,
  steps: Steps,
  polite: Politeness,
): Promise<Record<string, number>> {
  const file = options.out ?? "";
  if (fs.existsSync(file)) {
    if (!options.force) throw new Error(`${file} exists (use --force to replace it)`);
    for (const base of [file, searchStoreFile(file)]) {
      for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(base + suffix, { force: true });
    }
  }
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  await steps.time("migrate (the product's migrations)", () => migrate(openSqliteDatabase(file)));

  const db = new BetterSqlite3(file);
  try {
    // A bulk load into a new file: nothing to protect until it is complete.
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -1000000");
    db.pragma("threads = 2");
    const indexes = db
      .prepare<[], { name: string; sql: string }>(
        "select name, sql from sqlite_master where type = 'index' and tbl_name = 'audit_logs' and sql is not null order by name",
      )
      .all();
    if (!options.keepIndexes && indexes.length > 0) {
      await steps.time(`drop ${indexes.length} secondary indexes`, () => {
        for (const index of indexes) db.exec(`drop index ${index.name}`);
      });
    }

    const insert = db.prepare(
      `insert into audit_logs (${COLUMNS.map((c) => `"${c}"`).join(", ")}) values (${COLUMNS.map(() => "?").join(", ")})`,
    );
    const values: unknown[] = new Array<unknown>(COLUMNS.length);
    const insertBatch = db.transaction((count: number): number => {
      let inserted = 0;
      for (; inserted < count; inserted++) {
        const row = source.next();
        if (row === undefined) break;
        for (let i = 0; i < COLUMNS.length; i++) values[i] = row[COLUMNS[i]!];
        insert.run(values);
      }
      return inserted;
    });
    await steps.time(
      `generate and insert ${formatCount(options.events)} rows${options.keepIndexes ? " (indexes in place)" : ""}`,
      async () => {
        let total = 0;
        let lastLog = performance.now();
        const started = performance.now();
        while (total < options.events) {
          await polite.check();
          total += insertBatch(Math.min(options.batch, options.events - total));
          if (performance.now() - lastLog > 30_000) {
            lastLog = performance.now();
            const rate = total / ((lastLog - started) / 1000);
            log(`  ${formatCount(total)} rows, ${formatCount(rate)} rows/s`);
          }
        }
        return total;
      },
      (total, seconds) => `${formatCount(total / seconds)} rows/s`,
    );
    if (!options.keepIndexes) {
      for (const index of indexes) {
        await polite.check();
        await steps.time(`create index ${index.name}`, () => db.exec(index.sql));
      }
    }
    const state = source.tree.toState();
    db.prepare("update audit_state set size = ?, frontier = ? where id = 1").run(
      state.size,
      JSON.stringify(state.frontier),
    );
    await steps.time("analyze", () => db.exec("analyze"));
    db.pragma("journal_mode = WAL");
    await steps.time(
      "build the search index (audit_search, audit_fts) from the rows",
      () => fillSqliteSearchIndex(file, () => polite.check()),
      (indexed, seconds) => `${formatCount(indexed / seconds)} rows/s`,
    );
    const pageSize = Number(db.pragma("page_size", { simple: true }));
    const sizes: Record<string, number> = { database: fs.statSync(file).size };
    await steps.time("measure sizes (dbstat)", () => {
      for (const row of db
        .prepare<[], { name: string; bytes: number }>(
          "select name, sum(pgsize) as bytes from dbstat where name like 'audit%' or name like 'sqlite_autoindex_audit%' group by name order by bytes desc",
        )
        .all()) {
        sizes[row.name] = row.bytes;
      }
    });
    sizes.page_size = pageSize;
    sizes["search file"] = fs.statSync(searchStoreFile(file)).size;
    return sizes;
  } finally {
    db.close();
  }
}

/** Streams `count` rows into `audit_logs` through one `psql -c "COPY ... FROM STDIN"`. */
async function copyChunk(url: string, source: RowSource, count: number, polite: Politeness): Promise<number> {
  const child = spawn(
    "psql",
    [
      url,
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      `copy audit_logs (${COLUMNS.map((c) => `"${c}"`).join(", ")}) from stdin`,
    ],
    {
      stdio: ["pipe", "inherit", "inherit"],
      env: { ...process.env, PGOPTIONS: "-c synchronous_commit=off" },
    },
  );
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      resolve(code ?? 1);
    });
  });
  const stdin = child.stdin;
  let written = 0;
  let buffer = "";
  for (; written < count; written++) {
    const row = source.next();
    if (row === undefined) break;
    let line = "";
    for (let i = 0; i < COLUMNS.length; i++) {
      line += (i === 0 ? "" : "\t") + copyField(row[COLUMNS[i]!]);
    }
    buffer += `${line}\n`;
    if (buffer.length > 1 << 20) {
      if (!stdin.write(buffer)) await new Promise((resolve) => stdin.once("drain", resolve));
      buffer = "";
      if (written % 100_000 === 0) await polite.check();
    }
  }
  stdin.end(buffer);
  const code = await exited;
  if (code !== 0) throw new Error(`psql COPY exited with ${code}`);
  return written;
}

async function generatePostgres(
  options: Options,
  source: RowSource,
  steps: Steps,
  polite: Politeness,
): Promise<Record<string, number>> {
  const url = options.pgUrl ?? "";
  if (options.force) {
    const name = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: url.replace(/\/[^/?]*(\?|$)/, "/postgres$1") });
    await admin.connect();
    try {
      await admin.query(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
      await admin.query(`create database "${name.replaceAll('"', '""')}"`);
    } finally {
      await admin.end();
    }
  }
  await steps.time("migrate (the product's migrations)", () =>
    migrate(openPostgresDatabase(url, { maxConnections: 1 })),
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("set maintenance_work_mem = '1GB'");
    const { rows: indexes } = await client.query<{ name: string; sql: string; constraint: boolean }>(
      `select i.indexname as name, i.indexdef as sql,
              exists (select 1 from pg_constraint c where c.conname = i.indexname) as constraint
         from pg_indexes i where i.tablename = 'audit_logs' order by i.indexname`,
    );
    const secondary = indexes.filter((index) => !index.constraint);
    if (!options.keepIndexes) {
      await steps.time(`drop ${secondary.length} secondary indexes`, async () => {
        for (const index of secondary) await client.query(`drop index ${index.name}`);
      });
    }
    await steps.time(
      `generate and COPY ${formatCount(options.events)} rows${options.keepIndexes ? " (indexes in place)" : ""}`,
      async () => {
        let total = 0;
        const started = performance.now();
        while (total < options.events) {
          await polite.check();
          total += await copyChunk(url, source, Math.min(options.batch, options.events - total), polite);
          const rate = total / ((performance.now() - started) / 1000);
          log(`  ${formatCount(total)} rows, ${formatCount(rate)} rows/s`);
        }
        return total;
      },
      (total, seconds) => `${formatCount(total / seconds)} rows/s`,
    );
    if (!options.keepIndexes) {
      for (const index of secondary) {
        await polite.check();
        await steps.time(`create index ${index.name}`, () => client.query(index.sql));
      }
    }
    const state = source.tree.toState();
    await client.query("update audit_state set size = $1, frontier = $2 where id = 1", [
      state.size,
      JSON.stringify(state.frontier),
    ]);
    await steps.time("vacuum analyze audit_logs", () => client.query("vacuum analyze audit_logs"));
    await steps.time(
      "build the search index (audit_search) from the rows",
      () => fillPostgresSearchIndex(url, () => polite.check()),
      (indexed, seconds) => `${formatCount(indexed / seconds)} rows/s`,
    );
    const sizes: Record<string, number> = {};
    const { rows } = await client.query<{ name: string; bytes: string }>(
      `select 'database' as name, pg_database_size(current_database()) as bytes
       union all select 'audit_logs (total)', pg_total_relation_size('audit_logs')
       union all select 'audit_logs (heap)', pg_relation_size('audit_logs')
       union all select 'audit_logs (toast)', coalesce(pg_total_relation_size(nullif(reltoastrelid, 0)), 0) from pg_class where relname = 'audit_logs'
       union all select indexrelid::regclass::text, pg_relation_size(indexrelid) from pg_index where indrelid = 'audit_logs'::regclass`,
    );
    for (const row of rows) sizes[row.name] = Number(row.bytes);
    return sizes;
  } finally {
    await client.end();
  }
}

/** The product's verifier over the stored rows, against a checkpoint of the stored tree state. */
async function verify(handle: DatabaseHandle, expected: number): Promise<string> {
  try {
    const records = new AuditRecords(handle.db);
    const state = await records.state();
    const root = MerkleAccumulator.fromState(state).root();
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const name = "bench.example/audit";
    const note = signCheckpoint(
      { origin: name, size: state.size, rootHash: root },
      createNoteSigner({ name, privateKey }),
    );
    const verifier = createNoteVerifier({ name, publicKey });
    const verification = new AuditVerification({ records, verifier, origin: name });
    const { result } = await verification.verify({ external: [{ note, source: "audit_state" }] });
    if (!result.ok) throw new Error(`verification failed: ${JSON.stringify(result)}`);
    if (result.size !== expected || result.checkpoint?.size !== expected) {
      throw new Error(
        `verified ${result.size} events (checkpoint ${result.checkpoint?.size}), expected ${expected}`,
      );
    }
    return `ok: ${formatCount(result.size)} events, audit_state root matches the rows`;
  } finally {
    await handle.close();
  }
}

async function main(options: Options): Promise<void> {
  const dir = options.engine === "sqlite" ? path.dirname(path.resolve(options.out ?? ".")) : "/tmp";
  fs.mkdirSync(dir, { recursive: true });
  const waited = await waitForQuietMachine(options.wait);
  if (waited > 0) log(`waited ${Math.round(waited / 1000)} s for another benchmark to finish`);
  const facts = machineFacts(dir);
  log(formatMachine(facts));
  const polite = new Politeness(options.wait);
  const steps = new Steps(polite);
  const world = await steps.time(
    "build the world (tokens, packages, addresses)",
    () => new World({ ...DEFAULT_WORLD, seed: options.seed }),
  );
  const source = new RowSource(new SyntheticEvents(world, options.events));
  const started = performance.now();
  const sizes =
    options.engine === "sqlite"
      ? await generateSqlite(options, source, steps, polite)
      : await generatePostgres(options, source, steps, polite);
  const totalSeconds = (performance.now() - started) / 1000 - polite.waitedMs / 1000;
  let verified: string | undefined;
  if (options.verify) {
    const handle =
      options.engine === "sqlite"
        ? openSqliteDatabase(options.out ?? "")
        : openPostgresDatabase(options.pgUrl ?? "", { maxConnections: 1 });
    verified = await steps.time(
      "verify (AuditVerification over every row)",
      () => verify(handle, options.events),
      (text) => text,
    );
  }
  const mix = [...source.mix.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([category, n]) => `${category} ${((100 * n) / options.events).toFixed(1)} %`)
    .join(", ");
  const out = [
    "",
    `=== Synthetic audit log: ${formatCount(options.events)} events, ${options.engine} ===`,
    `Machine: ${formatMachine(facts)}`,
    `Target:  ${options.engine === "sqlite" ? options.out : (options.pgUrl ?? "").replace(/:[^:@/]*@/, ":***@")}`,
    `Seed:    ${options.seed}; events ${source.firstTimestamp} .. ${source.lastTimestamp}; ${Math.round(source.canonicalBytes / options.events)} bytes of canonical JSON per event`,
    `Mix:     ${mix}`,
    "",
    ...steps.done.map(
      (s) =>
        `  ${s.seconds.toFixed(1).padStart(8)} s  ${s.step}${s.note === undefined ? "" : `  (${s.note})`}`,
    ),
    `  ${totalSeconds.toFixed(1).padStart(8)} s  total, without the world, verification and ${Math.round(polite.waitedMs / 1000)} s spent waiting for other benchmarks`,
    "",
    "Sizes:",
    ...Object.entries(sizes).map(
      ([name, bytes]) => `  ${name.padEnd(34)} ${name === "page_size" ? String(bytes) : formatBytes(bytes)}`,
    ),
    ...(verified === undefined ? [] : ["", `Verify:  ${verified}`]),
    "",
  ];
  process.stdout.write(out.join("\n"));
  if (options.json !== undefined) {
    fs.writeFileSync(
      options.json,
      `${JSON.stringify({ options, facts, steps: steps.done, totalSeconds, waitedSeconds: polite.waitedMs / 1000, sizes, mix: Object.fromEntries(source.mix), verified }, null, 2)}\n`,
    );
  }
}

await runBench(parseOptions, HELP, main);
