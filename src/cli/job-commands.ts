import type { Command } from "commander";
import type { JobStatus } from "../jobs/job-board.ts";
import type { JobRun } from "../storage/database/job-run-records.ts";
import { output, withRuntime, type CliIo } from "./cli-context.ts";
import { parseWholeNumber } from "./parse-whole-number.ts";
import { printable, textTable } from "./text-table.ts";

interface JsonOption {
  json?: boolean;
}

/** `package-broker jobs list|runs`: the background jobs, who runs them, their history. */
export function registerJobCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const jobs = program
    .command("jobs")
    .description("background jobs: which node runs each, and their history");

  jobs
    .command("list")
    .description("every job, the process holding its lease, and its latest run")
    .option("--json", "print JSON")
    .action((options: JsonOption) =>
      run(async () => {
        const list = await withRuntime(io, (runtime) => runtime.jobs.list());
        output(io, options.json === true, { jobs: list }, () => describeJobs(list));
      }),
    );

  jobs
    .command("runs")
    .description("rounds that did something or failed, newest first (every job's without a name)")
    .argument("[name]", "the job, e.g. audit.checkpoints")
    .option("--limit <n>", "how many (1-500, default 50)")
    .option("--json", "print JSON")
    .action((name: string | undefined, options: JsonOption & { limit?: string }) =>
      run(async () => {
        const limit = options.limit === undefined ? undefined : parseWholeNumber(options.limit, 3);
        const page = await withRuntime(io, (runtime) =>
          runtime.jobs.runs({
            ...(name === undefined ? {} : { job: name }),
            ...(limit === undefined ? {} : { limit }),
          }),
        );
        output(io, options.json === true, page, () => describeRuns(page.runs));
      }),
    );
}

function describeJobs(list: readonly JobStatus[]): string {
  return textTable([
    ["JOB", "EVERY", "STATE", "HOLDER", "LAST TICK", "LAST RUN"],
    ...list.map((job) => [
      job.name,
      job.intervalSeconds === 0 ? "on demand" : `${String(job.intervalSeconds)}s`,
      job.state,
      job.holder ?? "-",
      job.lastTickAt ?? "-",
      job.lastRun === null ? "-" : `${job.lastRun.finishedAt} ${job.lastRun.outcome}`,
    ]),
  ]);
}

function describeRuns(runs: readonly JobRun[]): string {
  if (runs.length === 0) return "No runs.";
  return textTable([
    ["STARTED", "JOB", "OUTCOME", "HOLDER", "SUMMARY"],
    ...runs.map((entry) => [
      entry.startedAt,
      entry.job,
      entry.outcome,
      entry.holder,
      entry.error === null ? JSON.stringify(entry.summary) : printable(entry.error),
    ]),
  ]);
}
