/**
 * Audit export throughput: `node bench/audit-export/run.ts --sqlite FILE --pg-url URL`.
 *
 * Exports every event, and a filtered subset, as JSONL and CSV through the product's
 * AuditExporter (`open(trail, {format, q})`, then its `chunks` piped into a file stream, as
 * `package-broker audit export --output FILE` does) and reports events/s and the peak RSS of
 * each export. In the same run, the same rows are exported by the database's own tool
 * (`sqlite3 -csv`, `psql -c "COPY (...) TO STDOUT CSV"`), timed with /usr/bin/time, and the
 * ratio is computed. Targets: ≥ 50,000 events/s and ≥ 0.3 × the database's own tool.
 *
 * The exporter is wired as createAuditReads wires it (AuditSearchRecords over the product's
 * Kysely handle, the product info), with a trail that does not write: recording the
 * `audit`/`exported` event would append to the benchmark database.
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import type { AuditContext, AuditEvent, AuditEventInput } from "../../src/audit/audit-event.ts";
import { consoleContext } from "../../src/audit/audit-event.ts";
import { AuditExporter, type ExportChunk } from "../../src/audit/audit-export.ts";
import type { AuditTrail } from "../../src/audit/audit-trail.ts";
import { packageBrokerProduct } from "../../src/audit/export/product-info.ts";
import { createNoteSigner } from "../../src/audit/integrity/signed-note.ts";
import { ipSearchKeys } from "../../src/audit/ip-privacy.ts";
import { PRODUCT_VERSION } from "../../src/product-version.ts";
import { AuditSearchRecords } from "../../src/storage/database/audit-search-records.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { openPostgresDatabase } from "../../src/storage/database/postgres-database.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import {
  peakRssMiB,
  formatBytes,
  formatCount,
  formatMachine,
  log,
  machineFacts,
  markdownTable,
  resetPeakRss,
  runBench,
  waitForQuietMachine,
  textTable,
  requireDatabaseArguments,
} from "../audit-data/machine.ts";

const HELP = `Usage: node bench/audit-export/run.ts [--sqlite FILE] [--pg-url URL] [options]

  --sqlite FILE      a SQLite database filled by bench/audit-data/generate.ts
  --pg-url URL       a PostgreSQL database filled by it
  --formats LIST     product formats, comma-separated (default jsonl,csv)
  --subsets LIST     all,filtered (default both)
  --filter Q         the filtered subset, as a search (default "event:authentication")
  --filter-sql SQL   the same filter as SQL for the database's own tool (default "event = 'authentication'")
  --output DIR       write the exports into DIR (removed after each export) instead of /dev/null
  --no-native        skip the database's own tool
  --no-wait          do not wait while another benchmark (wrk, metadata-throughput) runs
  --time-limit MIN   stop after this many minutes (default 90)
  --json FILE        also write the results as JSON
`;

// A full collection before each export, so its peak RSS is its own (not the garbage of the last one).
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

const TARGET_RATE = 50_000;
const TARGET_RATIO = 0.3;
/** What the database's own tool exports: the stored envelope columns, in seq order. */
const NATIVE_COLUMNS =
  'seq, id, timestamp, event, action, severity, outcome, "user", actor, ip_address, user_agent, request_id, target, details';

interface Options {
  readonly sqlite: string | undefined;
  readonly pgUrl: string | undefined;
  readonly formats: readonly string[];
  readonly subsets: readonly ExportResult["subset"][];
  readonly filter: string;
  readonly filterSql: string;
  readonly output: string | undefined;
  readonly native: boolean;
  readonly wait: boolean;
  readonly timeLimit: number;
  readonly json: string | undefined;
}

interface ExportResult {
  readonly engine: "sqlite" | "postgres";
  readonly subset: "all" | "filtered";
  /** A product format, or the native tool. */
  readonly how: string;
  readonly events: number;
  readonly seconds: number;
  /** Of `seconds`: opening the export (the count) before the first byte. */
  readonly openSeconds: number;
  readonly bytes: number;
  readonly peakRssMiB: number;
  /** RSS of the process when the export started (node: the runtime and modules already loaded). */
  readonly rssBeforeMiB: number;
  /** CPU seconds of the exporting process (the node process, or the tool). */
  readonly cpuSeconds: number;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      sqlite: { type: "string" },
      "pg-url": { type: "string" },
      formats: { type: "string", default: "jsonl,csv" },
      subsets: { type: "string", default: "all,filtered" },
      filter: { type: "string", default: "event:authentication" },
      "filter-sql": { type: "string", default: "event = 'authentication'" },
      output: { type: "string" },
      "no-native": { type: "boolean", default: false },
      "no-wait": { type: "boolean", default: false },
      "time-limit": { type: "string", default: "90" },
      json: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  requireDatabaseArguments(values.sqlite, values["pg-url"]);
  const subsets = values.subsets.split(",").filter(Boolean);
  for (const subset of subsets) {
    if (subset !== "all" && subset !== "filtered") throw new Error(`unknown subset ${subset}`);
  }
  const minutes = Number(values["time-limit"]);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error("--time-limit must be a positive number");
  return {
    sqlite: values.sqlite,
    pgUrl: values["pg-url"],
    formats: values.formats.split(",").filter(Boolean),
    subsets: subsets as ExportResult["subset"][],
    filter: values.filter,
    filterSql: values["filter-sql"],
    output: values.output,
    native: !values["no-native"],
    wait: !values["no-wait"],
    timeLimit: minutes,
    json: values.json,
  };
}

/** A trail that records nothing (the export's own `exported` event would grow the bench log). */
function silentTrail(): AuditTrail {
  const context: AuditContext = consoleContext;
  let seq = 0;
  return {
    context,
    record: (input: AuditEventInput): Promise<AuditEvent> =>
      Promise.resolve({
        schema_version: 1,
        id: `bench-${++seq}`,
        seq: 0,
        timestamp: new Date().toISOString(),
        event: input.event,
        action: input.action,
        severity: input.severity ?? "info",
        outcome: input.outcome,
        user: context.actor.id,
        actor: context.actor,
        ip_address: null,
        user_agent: null,
        request_id: null,
        target: input.target ?? null,
        details: input.details ?? {},
      }),
  };
}

function exporterFor(handle: DatabaseHandle): AuditExporter {
  const unused = (): never => {
    throw new Error("bundles are not measured here");
  };
  return new AuditExporter({
    records: new AuditSearchRecords(handle.db, ipSearchKeys(Buffer.alloc(32, 7))),
    product: packageBrokerProduct(PRODUCT_VERSION, os.hostname()),
    bundles: {
      checkpointer: { checkpointNow: unused },
      proofs: { path: unused },
      signer: createNoteSigner({
        name: "bench.example/audit",
        privateKey: generateKeyPairSync("ed25519").privateKey,
      }),
      verifierKey: "",
      origin: "",
    },
  });
}

function outputFile(options: Options, name: string): string {
  return options.output === undefined ? "/dev/null" : path.join(options.output, name);
}

async function productExport(
  handle: DatabaseHandle,
  engine: ExportResult["engine"],
  subset: ExportResult["subset"],
  format: string,
  q: string,
  options: Options,
): Promise<ExportResult> {
  const file = outputFile(options, `export-${engine}-${subset}.${format}`);
  collectGarbage();
  const resetOk = resetPeakRss();
  const rssBeforeMiB = process.memoryUsage.rss() / 2 ** 20;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const opened = await exporterFor(handle).open(silentTrail(), { format, q });
  const openSeconds = (performance.now() - started) / 1000;
  let events = 0;
  async function* texts(chunks: AsyncIterable<ExportChunk>): AsyncGenerator<string> {
    for await (const chunk of chunks) {
      events += chunk.events;
      yield chunk.text;
    }
  }
  await pipeline(Readable.from(texts(opened.chunks)), fs.createWriteStream(file));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  if (events !== opened.total)
    throw new Error(`${engine} ${format}: ${events} events written, ${opened.total} announced`);
  const bytes = options.output === undefined ? Number.NaN : fs.statSync(file).size;
  if (options.output !== undefined) fs.rmSync(file, { force: true });
  return {
    engine,
    subset,
    how: format,
    events,
    seconds,
    openSeconds,
    bytes,
    peakRssMiB: resetOk ? peakRssMiB() : Number.NaN,
    rssBeforeMiB,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Runs the database's own tool under /usr/bin/time, stdout to the file; counts the lines it wrote. */
async function nativeExport(
  engine: ExportResult["engine"],
  subset: ExportResult["subset"],
  command: string,
  args: string[],
  events: number,
  options: Options,
): Promise<ExportResult> {
  const file = outputFile(options, `native-${engine}-${subset}.csv`);
  const timing = path.join(os.tmpdir(), `pb-export-time-${process.pid}`);
  const out = fs.openSync(file, "w");
  const started = performance.now();
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn("/usr/bin/time", ["-f", "%e %M %U %S", "-o", timing, command, ...args], {
        stdio: ["ignore", out, "inherit"],
      });
      child.on("error", reject);
      child.on("close", (status) => {
        resolve(status ?? 1);
      });
    });
    if (code !== 0) throw new Error(`${command} exited with ${code}`);
  } finally {
    fs.closeSync(out);
  }
  const seconds = (performance.now() - started) / 1000;
  const [, maxRssKiB = "0", user = "0", system = "0"] =
    fs.readFileSync(timing, "utf8").trim().split("\n").at(-1)?.split(" ") ?? [];
  fs.rmSync(timing, { force: true });
  const bytes = options.output === undefined ? Number.NaN : fs.statSync(file).size;
  if (options.output !== undefined) fs.rmSync(file, { force: true });
  return {
    engine,
    subset,
    how: path.basename(command),
    events,
    seconds,
    openSeconds: 0,
    bytes,
    peakRssMiB: Number(maxRssKiB) / 1024,
    rssBeforeMiB: 0,
    cpuSeconds: Number(user) + Number(system),
  };
}

function nativeCommand(engine: ExportResult["engine"], target: string, where: string): [string, string[]] {
  const select = `select ${NATIVE_COLUMNS} from audit_logs where purged_at is null${where === "" ? "" : ` and (${where})`} order by seq`;
  return engine === "sqlite"
    ? ["sqlite3", ["-readonly", "-csv", "-header", target, select]]
    : [
        "psql",
        [
          target,
          "-X",
          "-q",
          "-v",
          "ON_ERROR_STOP=1",
          "-c",
          `copy (${select}) to stdout with (format csv, header)`,
        ],
      ];
}

async function measureEngine(
  engine: ExportResult["engine"],
  target: string,
  options: Options,
): Promise<ExportResult[]> {
  const handle = engine === "sqlite" ? openSqliteDatabase(target) : openPostgresDatabase(target);
  const results: ExportResult[] = [];
  const subsets: [ExportResult["subset"], string, string][] = [];
  if (options.subsets.includes("all")) subsets.push(["all", "", ""]);
  if (options.subsets.includes("filtered")) subsets.push(["filtered", options.filter, options.filterSql]);
  try {
    for (const [subset, q, where] of subsets) {
      let events = Number.NaN;
      for (const format of options.formats) {
        await waitForQuietMachine(options.wait);
        const result = await productExport(handle, engine, subset, format, q, options);
        events = result.events;
        results.push(result);
        report(result);
      }
      if (options.native) {
        await waitForQuietMachine(options.wait);
        const [command, args] = nativeCommand(engine, target, where);
        const result = await nativeExport(engine, subset, command, args, events, options);
        results.push(result);
        report(result);
      }
    }
  } finally {
    await handle.close();
  }
  return results;
}

function report(result: ExportResult): void {
  log(
    `${result.engine.padEnd(8)} ${result.subset.padEnd(8)} ${result.how.padEnd(7)} ${formatCount(result.events).padStart(10)} events in ${result.seconds.toFixed(1)} s ` +
      `(open ${result.openSeconds.toFixed(1)} s): ${formatCount(result.events / result.seconds)} events/s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB, CPU ${result.cpuSeconds.toFixed(1)} s`,
  );
}

async function main(options: Options): Promise<void> {
  if (options.output !== undefined) fs.mkdirSync(options.output, { recursive: true });
  const waited = await waitForQuietMachine(options.wait);
  if (waited > 0) log(`waited ${Math.round(waited / 1000)} s for another benchmark to finish`);
  const facts = machineFacts(
    options.sqlite === undefined ? "/tmp" : path.dirname(path.resolve(options.sqlite)),
  );
  log(formatMachine(facts));
  const results: ExportResult[] = [];
  if (options.sqlite !== undefined) results.push(...(await measureEngine("sqlite", options.sqlite, options)));
  if (options.pgUrl !== undefined) results.push(...(await measureEngine("postgres", options.pgUrl, options)));
  const loadAfter = machineFacts("/tmp").load;

  const header = [
    "engine",
    "subset",
    "export",
    "events",
    "seconds",
    "events/s",
    "vs own tool",
    "peak RSS (at start)",
    "CPU s",
    "output",
  ];
  const verdicts: string[] = [];
  const rows = results.map((r) => {
    const native = results.find(
      (n) => n.engine === r.engine && n.subset === r.subset && n.openSeconds === 0 && n.how !== r.how,
    );
    const isNative = r.how === "sqlite3" || r.how === "psql";
    const rate = r.events / r.seconds;
    const ratio = native === undefined || isNative ? Number.NaN : rate / (native.events / native.seconds);
    if (!isNative) {
      const ok = rate >= TARGET_RATE && (Number.isNaN(ratio) || ratio >= TARGET_RATIO);
      if (!ok) verdicts.push(`${r.engine} ${r.subset} ${r.how}`);
    }
    return [
      r.engine,
      r.subset,
      isNative ? `${r.how} (own tool, CSV)` : r.how,
      formatCount(r.events),
      `${r.seconds.toFixed(1)}${r.openSeconds > 0 ? ` (open ${r.openSeconds.toFixed(1)})` : ""}`,
      formatCount(rate),
      Number.isNaN(ratio) ? "" : ratio.toFixed(2),
      `${r.peakRssMiB.toFixed(0)} MiB${isNative ? "" : ` (${r.rssBeforeMiB.toFixed(0)})`}`,
      r.cpuSeconds.toFixed(1),
      Number.isNaN(r.bytes) ? "" : formatBytes(r.bytes),
    ];
  });
  const table = [header, ...rows];
  const out = [
    "",
    "=== Audit export: AuditExporter against the database's own tool ===",
    `Date:     ${new Date().toISOString()}`,
    `Machine:  ${formatMachine(facts)}; load after ${loadAfter}`,
    `Output:   ${options.output ?? "/dev/null"}; filtered subset: ${JSON.stringify(options.filter)} (own tool: where ${options.filterSql})`,
    "events/s counts from open() (the count query) to the last byte; peak RSS is the process's high-water mark",
    "during that export (reset before each); CPU s is the exporting process (node, or the tool), not the",
    "database server's (PostgreSQL works in its own processes)",
    "",
    textTable(table),
    "",
    `Targets: >= ${formatCount(TARGET_RATE)} events/s and >= ${TARGET_RATIO} x the own tool: ${verdicts.length === 0 ? "met" : `NOT met by ${verdicts.join(", ")}`}`,
    "",
    "Markdown:",
    "",
    markdownTable(table),
    "",
  ];
  process.stdout.write(out.join("\n"));
  if (options.json !== undefined) {
    fs.writeFileSync(options.json, `${JSON.stringify({ options, facts, loadAfter, results }, null, 2)}\n`);
    log(`results written to ${options.json}`);
  }
}

await runBench(parseOptions, HELP, main);
