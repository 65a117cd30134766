import type { Command } from "commander";
import { createAuditReads } from "../audit/audit-reads.ts";
import type { AuditHistogramResult } from "../audit/search/audit-histogram.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

interface HistogramOptions {
  buckets?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

/** The widest bar, in characters, of the printed chart. */
const BAR_WIDTH = 40;

/**
 * `package-broker audit histogram "QUERY"`: how many events a search matches over time, counted
 * exactly by the database (GET /api/audit/histogram), printed as a bar per bucket or as JSON.
 */
export function registerAuditHistogramCommand(
  audit: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  audit
    .command("histogram")
    .description(
      'count the events of a search over time (e.g. "action:download -outcome:success"), oldest first',
    )
    .argument("[query]", "the query; empty counts every event", "")
    // A query may start with a negation ("-event:system"): not an option, the query.
    .allowUnknownOption()
    .option("--buckets <n>", "at most this many bars, 1 to 500 (their width is a round one)", "60")
    .option("--from <instant>", "count from this instant (inclusive), as created: writes one")
    .option("--to <instant>", "count up to this instant (exclusive)")
    .option("--json", "print JSON: {from, to, bucketSeconds, total, buckets: [{start, count}]}")
    .action((query: string, options: HistogramOptions) =>
      run(async () => {
        const result = await withRuntime(io, (runtime) =>
          createAuditReads(runtime.audit, runtime.database.db, {
            indexWaitMs: Number.POSITIVE_INFINITY,
          }).histogram.countAndRecord(consoleTrail(runtime), {
            q: query,
            ...(options.buckets === undefined ? {} : { buckets: options.buckets }),
            ...(options.from === undefined ? {} : { from: options.from }),
            ...(options.to === undefined ? {} : { to: options.to }),
          }),
        );
        output(io, options.json === true, result, () => histogramText(result));
      }),
    );
}

/** One line per bucket (its start, its count, a bar scaled to the fullest), then the total. */
export function histogramText(result: AuditHistogramResult): string {
  if (result.buckets.length === 0) return "No events match.";
  const most = Math.max(...result.buckets.map((bucket) => bucket.count));
  const digits = String(most).length;
  const lines = result.buckets.map((bucket) => {
    const bar = most === 0 ? 0 : Math.ceil((bucket.count / most) * BAR_WIDTH);
    return `${bucket.start}  ${String(bucket.count).padStart(digits)}  ${"#".repeat(bar)}`.trimEnd();
  });
  lines.push(
    `${result.total} event${result.total === 1 ? "" : "s"} from ${result.from ?? "?"} to ${result.to ?? "?"}, ${result.bucketSeconds ?? 0} s a bar`,
  );
  return lines.join("\n");
}
