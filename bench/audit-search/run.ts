/**
 * Audit search latency on a large log: `node bench/audit-search/run.ts --sqlite FILE --pg-url URL`.
 *
 * Runs a fixed set of queries (queries.ts: filters, prefixes, CIDR, time ranges, free text, the
 * JSON form, deep pages and cursors in the middle of the log) through the product's AuditSearch
 * (`page({q, limit: 100, cursor, order})`, as GET /api/audit/events does, without HTTP and
 * without recording the search), on databases filled by bench/audit-data/generate.ts. Each query
 * runs once unmeasured, then --runs times; every page is one sample. Reports p50/p95/max per query
 * and overall, per engine, and whether both engines returned the same events. Target: p95 ≤ 300 ms.
 *
 * --explain prints each query's plan (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE,
 * BUFFERS)), for the SQL the product generated, captured through a second Kysely instance.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from "kysely";
import pg from "pg";
import { AuditSearch } from "../../src/audit/audit-search.ts";
import { ipSearchKeys } from "../../src/audit/ip-privacy.ts";
import { encodeSearchCursor } from "../../src/audit/search/search-cursor.ts";
import { AuditSearchRecords } from "../../src/storage/database/audit-search-records.ts";
import type { Database } from "../../src/storage/database/database-schema.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { openPostgresDatabase } from "../../src/storage/database/postgres-database.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { attachSearchStore } from "../../src/storage/database/sqlite-search-store.ts";
import {
  formatCount,
  formatMachine,
  log,
  machineFacts,
  markdownTable,
  runBench,
  waitForQuietMachine,
  textTable,
  requireDatabaseArguments,
} from "../audit-data/machine.ts";
import { DEFAULT_WORLD, World } from "../audit-data/world.ts";
import { benchQueries, type BenchQuery } from "./queries.ts";

const HELP = `Usage: node bench/audit-search/run.ts [--sqlite FILE] [--pg-url URL] [options]

  --sqlite FILE       a SQLite database filled by bench/audit-data/generate.ts
  --pg-url URL        a PostgreSQL database filled by it
  --seed N            the generator's seed (default ${DEFAULT_WORLD.seed}): picks the query values
  --runs N            measured runs per query after one unmeasured run (default 10)
  --budget S          stop repeating a query after S seconds of measured runs (default 20)
  --only IDS          comma-separated query ids (default all; see bench/audit-search/queries.ts)
  --explain           print each query's plan (EXPLAIN QUERY PLAN / EXPLAIN (ANALYZE, BUFFERS))
  --no-wait           do not wait while another benchmark (wrk, metadata-throughput) runs
  --time-limit MIN    stop after this many minutes (default 60)
  --json FILE         also write every sample as JSON
`;

const LIMIT = 100;
/** The IP pseudonym key: any fixed key (the generated log stores full addresses). */
const IP_HASH_KEY = Buffer.alloc(32, 7);
const TARGET_MS = 300;

interface Options {
  readonly sqlite: string | undefined;
  readonly pgUrl: string | undefined;
  readonly seed: number;
  readonly runs: number;
  readonly budget: number;
  readonly only: readonly string[] | undefined;
  readonly explain: boolean;
  readonly wait: boolean;
  readonly timeLimit: number;
  readonly json: string | undefined;
}

interface QueryResult {
  readonly id: string;
  readonly engine: string;
  /** Milliseconds per page. */
  readonly samples: number[];
  /** The unmeasured first run, per page (cold-ish caches). */
  readonly first: number[];
  readonly rows: number;
  /** The seqs of the first page, to compare the engines. */
  readonly firstPage: number[];
  readonly pages: number;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      sqlite: { type: "string" },
      "pg-url": { type: "string" },
      seed: { type: "string", default: String(DEFAULT_WORLD.seed) },
      runs: { type: "string", default: "10" },
      budget: { type: "string", default: "20" },
      only: { type: "string" },
      explain: { type: "boolean", default: false },
      "no-wait": { type: "boolean", default: false },
      "time-limit": { type: "string", default: "60" },
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
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  return {
    sqlite: values.sqlite,
    pgUrl: values["pg-url"],
    seed: positive("seed", values.seed),
    runs: Math.round(positive("runs", values.runs)),
    budget: positive("budget", values.budget),
    only: values.only?.split(",").filter(Boolean),
    explain: values.explain,
    wait: !values["no-wait"],
    timeLimit: positive("time-limit", values["time-limit"]),
    json: values.json,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value >= 100
    ? `${Math.round(value)} ms`
    : value >= 10
      ? `${value.toFixed(1)} ms`
      : `${value.toFixed(2)} ms`;
}

/** One run of a query: its pages, each timed. */
async function runQuery(
  search: AuditSearch,
  query: BenchQuery,
  maxSeq: number,
): Promise<{ times: number[]; rows: number; firstPage: number[] }> {
  const order = query.order ?? "desc";
  let cursor: string | undefined =
    query.cursorAt === undefined
      ? undefined
      : encodeSearchCursor(order, Math.max(1, Math.floor(maxSeq * query.cursorAt)));
  const times: number[] = [];
  let rows = 0;
  let firstPage: number[] = [];
  for (let page = 0; page < (query.pages ?? 1); page++) {
    const started = performance.now();
    const result = await search.page({
      q: query.q,
      limit: LIMIT,
      order,
      ...(cursor === undefined ? {} : { cursor }),
    });
    times.push(performance.now() - started);
    rows += result.events.length;
    if (page === 0) firstPage = result.events.map((event) => event.seq);
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  return { times, rows, firstPage };
}

interface Target {
  readonly engine: "sqlite" | "postgres";
  open(): DatabaseHandle;
  /** A Kysely that reports the SQL it runs, and how to explain that SQL. */
  explainer(): {
    db: Kysely<Database>;
    explain: (sql: string, parameters: readonly unknown[]) => Promise<string>;
    close: () => Promise<void>;
  };
}

function sqliteTarget(file: string): Target {
  return {
    engine: "sqlite",
    open: () => openSqliteDatabase(file),
    explainer: () => {
      const connection = new BetterSqlite3(file, { readonly: true });
      // Read-only like the connection: the index is complete, so searches never write to it.
      attachSearchStore(connection, file);
      const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }), log: capture });
      return {
        db,
        explain: (sql, parameters) => {
          const rows = connection
            .prepare<unknown[], { id: number; parent: number; detail: string }>(`explain query plan ${sql}`)
            .all(...parameters);
          const depth = new Map<number, number>([[0, 0]]);
          const lines = rows.map((row) => {
            const level = (depth.get(row.parent) ?? 0) + 1;
            depth.set(row.id, level);
            return `${"  ".repeat(level)}${row.detail}`;
          });
          return Promise.resolve(lines.join("\n"));
        },
        close: () => db.destroy(),
      };
    },
  };
}

function postgresTarget(url: string): Target {
  return {
    engine: "postgres",
    open: () => openPostgresDatabase(url),
    explainer: () => {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: capture });
      return {
        db,
        explain: async (sql, parameters) => {
          const result = await pool.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers) ${sql}`, [
            ...parameters,
          ]);
          return result.rows.map((row) => `  ${row["QUERY PLAN"]}`).join("\n");
        },
        close: () => db.destroy(),
      };
    },
  };
}

let captured: { sql: string; parameters: readonly unknown[] } | undefined;
function capture(event: LogEvent): void {
  captured = { sql: event.query.sql, parameters: event.query.parameters };
}
function lastCaptured(): { sql: string; parameters: readonly unknown[] } {
  return captured ?? { sql: "", parameters: [] };
}

async function measureTarget(
  target: Target,
  queries: readonly BenchQuery[],
  options: Options,
): Promise<QueryResult[]> {
  const handle = target.open();
  const results: QueryResult[] = [];
  try {
    const search = new AuditSearch(new AuditSearchRecords(handle.db, ipSearchKeys(IP_HASH_KEY)));
    const maxSeq = await new AuditSearchRecords(handle.db, ipSearchKeys(IP_HASH_KEY)).maxSeq();
    log(`${target.engine}: ${formatCount(maxSeq)} events`);
    for (const query of queries) {
      await waitForQuietMachine(options.wait);
      const first = await runQuery(search, query, maxSeq);
      const runs: number[][] = [];
      let spent = 0;
      for (let run = 0; run < options.runs && spent < options.budget * 1000; run++) {
        const { times } = await runQuery(search, query, maxSeq);
        runs.push(times);
        spent += times.reduce((a, b) => a + b, 0);
      }
      // A query that follows cursors is reported twice: its first page, and the pages after it.
      const parts: [string, number[], number[]][] =
        (query.pages ?? 1) > 1
          ? [
              [`${query.id} (page 1)`, runs.map((times) => times[0] ?? Number.NaN), first.times.slice(0, 1)],
              [`${query.id} (pages 2+)`, runs.flatMap((times) => times.slice(1)), first.times.slice(1)],
            ]
          : [[query.id, runs.flat(), first.times]];
      for (const [id, samples, firstTimes] of parts) {
        const sorted = [...samples].sort((a, b) => a - b);
        log(
          `${target.engine.padEnd(8)} ${id.padEnd(28)} rows ${String(first.rows).padStart(5)}  first ${ms(firstTimes.reduce((a, b) => a + b, 0)).padStart(8)}  ` +
            `p50 ${ms(quantile(sorted, 0.5)).padStart(8)}  p95 ${ms(quantile(sorted, 0.95)).padStart(8)}  max ${ms(sorted.at(-1) ?? Number.NaN).padStart(8)}  (${samples.length} samples)`,
        );
        results.push({
          id,
          engine: target.engine,
          samples,
          first: firstTimes,
          rows: first.rows,
          firstPage: first.firstPage,
          pages: first.times.length,
        });
      }
    }
  } finally {
    await handle.close();
  }
  if (options.explain) {
    const explainer = target.explainer();
    const search = new AuditSearch(new AuditSearchRecords(explainer.db, ipSearchKeys(IP_HASH_KEY)));
    try {
      const maxSeq = await new AuditSearchRecords(explainer.db, ipSearchKeys(IP_HASH_KEY)).maxSeq();
      for (const query of queries) {
        await waitForQuietMachine(options.wait);
        captured = undefined;
        await runQuery(search, { ...query, pages: 1 }, maxSeq);
        const { sql, parameters } = lastCaptured();
        process.stdout.write(
          `\n--- ${target.engine} ${query.id}: ${query.q || "(empty)"}\n${sql}\n${JSON.stringify(parameters)}\n${await explainer.explain(sql, parameters)}\n`,
        );
      }
    } finally {
      await explainer.close();
    }
  }
  return results;
}

async function main(options: Options): Promise<void> {
  const world = new World({ ...DEFAULT_WORLD, seed: options.seed });
  const all = benchQueries(world);
  const queries = options.only === undefined ? all : all.filter((query) => options.only?.includes(query.id));
  if (queries.length === 0) throw new Error(`no query among ${all.map((q) => q.id).join(", ")}`);
  const targets: Target[] = [];
  if (options.sqlite !== undefined) targets.push(sqliteTarget(options.sqlite));
  if (options.pgUrl !== undefined) targets.push(postgresTarget(options.pgUrl));
  const waited = await waitForQuietMachine(options.wait);
  if (waited > 0) log(`waited ${Math.round(waited / 1000)} s for another benchmark to finish`);
  const facts = machineFacts(
    options.sqlite === undefined ? "/tmp" : path.dirname(path.resolve(options.sqlite)),
  );
  log(formatMachine(facts));
  const results: QueryResult[] = [];
  for (const target of targets) results.push(...(await measureTarget(target, queries, options)));
  const loadAfter = machineFacts("/tmp").load;

  const engines = targets.map((t) => t.engine);
  const cell = (id: string, engine: string): QueryResult | undefined =>
    results.find((r) => r.id === id && r.engine === engine);
  const header = [
    "query",
    "rows",
    ...engines.flatMap((engine) => [`${engine} p50`, `${engine} p95`, `${engine} max`]),
    ...(engines.length === 2 ? ["same events"] : []),
  ];
  const ids = [...new Set(results.map((r) => r.id))];
  const rows = ids.map((id) => {
    const first = cell(id, engines[0] ?? "");
    const stats = engines.flatMap((engine) => {
      const sorted = [...(cell(id, engine)?.samples ?? [])].sort((a, b) => a - b);
      const p95 = quantile(sorted, 0.95);
      return [
        ms(quantile(sorted, 0.5)),
        p95 > TARGET_MS ? `**${ms(p95)}**` : ms(p95),
        ms(sorted.at(-1) ?? Number.NaN),
      ];
    });
    const same =
      engines.length === 2
        ? [
            JSON.stringify(cell(id, "sqlite")?.firstPage) === JSON.stringify(cell(id, "postgres")?.firstPage)
              ? "yes"
              : "NO",
          ]
        : [];
    const pages = first !== undefined && first.pages > 1 ? ` (${first.pages} pages)` : "";
    return [id, `${first?.rows ?? 0}${pages}`, ...stats, ...same];
  });
  const overall = engines.flatMap((engine) => {
    const sorted = results
      .filter((r) => r.engine === engine)
      .flatMap((r) => r.samples)
      .sort((a, b) => a - b);
    return [ms(quantile(sorted, 0.5)), ms(quantile(sorted, 0.95)), ms(sorted.at(-1) ?? Number.NaN)];
  });
  rows.push(["all samples", "", ...overall, ...(engines.length === 2 ? [""] : [])]);
  const table = [header, ...rows];
  const verdicts = engines.map((engine) => {
    const missed = ids.filter((id) => {
      const sorted = [...(cell(id, engine)?.samples ?? [])].sort((a, b) => a - b);
      return quantile(sorted, 0.95) > TARGET_MS;
    });
    return `${engine}: ${missed.length === 0 ? "met" : `NOT met by ${missed.join(", ")}`}`;
  });
  const out = [
    "",
    "=== Audit search: first 100 rows per page, through AuditSearch.page ===",
    `Date:     ${new Date().toISOString()}`,
    `Machine:  ${formatMachine(facts)}; load after ${loadAfter}`,
    `Settings: ${options.runs} measured runs per query after 1 unmeasured (at most ${options.budget} s per query); every page is a sample`,
    "",
    ...queries.map(
      (q) =>
        `  ${q.id.padEnd(18)} ${q.q === "" ? "(empty)" : q.q}${q.order === "asc" ? " [asc]" : ""}${q.cursorAt === undefined ? "" : ` [cursor at ${q.cursorAt * 100} % of seq]`}  — ${q.why}`,
    ),
    "",
    textTable(table),
    "",
    `Target p95 ≤ ${TARGET_MS} ms per query: ${verdicts.join("; ")}`,
    "",
    "Markdown:",
    "",
    markdownTable(table),
    "",
  ];
  process.stdout.write(out.join("\n"));
  if (options.json !== undefined) {
    fs.writeFileSync(
      options.json,
      `${JSON.stringify({ options, facts, loadAfter, queries, results }, null, 2)}\n`,
    );
    log(`results written to ${options.json}`);
  }
}

await runBench(parseOptions, HELP, main);
