/**
 * Micro-benchmark of the audit export formatters: `node bench/audit-export/formatters.ts`
 * (options: `--rows N`, default 200000; `--runs N`, default 5).
 *
 * Builds realistic stored rows in memory (the synthetic log of bench/audit-data, through
 * `eventToRow` as the server stores them), then times, per row and without any database:
 *
 * - `rowToEvent`: what the exporter does to each row before it calls a formatter;
 * - each format's `line(event)` (export-format.ts, as the exporter wires it) on parsed events;
 * - `row → line`: both together, what one exported row costs in the exporter's loop.
 *
 * Each figure is the median of `--runs` timed passes over all the rows, after one warm-up pass.
 * The sha256 of every format's output over all the rows is printed too: a change that is meant to
 * be a pure optimisation must leave these digests exactly as they were.
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { eventToRow, rowToEvent } from "../../src/audit/audit-row.ts";
import type { AuditEvent } from "../../src/audit/audit-event.ts";
import { exportFormats, formatter } from "../../src/audit/export/export-format.ts";
import { packageBrokerProduct } from "../../src/audit/export/product-info.ts";
import type { AuditRow } from "../../src/storage/database/audit-records.ts";
import { log, textTable } from "../audit-data/machine.ts";
import { SyntheticEvents } from "../audit-data/synthetic-events.ts";
import { DEFAULT_WORLD, World } from "../audit-data/world.ts";

/** Any 64-hex leaf hash: no formatter reads it. */
const LEAF_HASH = "ab".repeat(32);

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    runs: { type: "string", default: "5" },
  },
  strict: true,
});
const rowCount = Number(values.rows);
const runs = Number(values.runs);
if (!Number.isInteger(rowCount) || rowCount < 1) throw new Error("--rows must be a positive integer");
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");

function buildRows(count: number): AuditRow[] {
  const events = new SyntheticEvents(new World(DEFAULT_WORLD), count);
  const rows: AuditRow[] = [];
  for (let event = events.next(); event !== undefined; event = events.next()) {
    rows.push(eventToRow(event, LEAF_HASH));
  }
  return rows;
}

/** Output characters are summed so the optimiser cannot drop the work. */
let sink = 0;

/** Median µs per item of `runs` passes of `work` over `items`, after one warm-up pass. */
function microsPerItem<T>(items: readonly T[], work: (item: T) => string | AuditEvent): number {
  const pass = (): number => {
    const started = process.hrtime.bigint();
    for (const item of items) {
      const out = work(item);
      sink += typeof out === "string" ? out.length : out.seq;
    }
    return Number(process.hrtime.bigint() - started) / 1000 / items.length;
  };
  pass();
  const times = Array.from({ length: runs }, pass).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

function digest(lines: Iterable<string>): string {
  const hash = createHash("sha256");
  for (const line of lines) hash.update(line);
  return hash.digest("hex").slice(0, 16);
}

const built = performance.now();
const rows = buildRows(rowCount);
const events = rows.map(rowToEvent);
log(`${rows.length} rows built in ${((performance.now() - built) / 1000).toFixed(1)} s`);

const product = packageBrokerProduct("1.4.2", "broker.example.com");
const parseMicros = microsPerItem(rows, rowToEvent);
const table: string[][] = [["format", "line(event) µs/row", "row → line µs/row", "output sha256 (16)"]];
table.push(["(rowToEvent)", parseMicros.toFixed(3), "", ""]);
for (const format of exportFormats) {
  const { line } = formatter(format, product);
  const lineMicros = microsPerItem(events, line);
  const rowMicros = microsPerItem(rows, (row) => line(rowToEvent(row)));
  table.push([format, lineMicros.toFixed(3), rowMicros.toFixed(3), digest(events.map(line))]);
}
process.stdout.write(
  `\n=== Audit export formatters: ${rows.length} rows, median of ${runs} runs (Node ${process.version}) ===\n\n` +
    `${textTable(table)}\n\n(output length checksum ${sink % 1000}: keeps the work observable)\n`,
);
