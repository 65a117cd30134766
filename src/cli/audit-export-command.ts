import fs from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import type { ExportChunk } from "../audit/audit-export.ts";
import { createAuditReads } from "../audit/audit-reads.ts";
import { exportFormats } from "../audit/export/export-format.ts";
import { invalidInput } from "../errors/domain-error.ts";
import { consoleTrail, withRuntime, type CliIo } from "./cli-context.ts";
import { CLEAR_LINE, progressLine } from "./progress-line.ts";

interface ExportOptions {
  format?: string;
  bundle?: boolean;
  query: string;
  output?: string;
}

/**
 * `package-broker audit export --format F [--query Q] [--output FILE]`: streams the matching
 * events to a file or stdout, with backpressure (constant memory whatever the size), and progress
 * on a terminal. A file is written beside its name first and renamed when complete, so a failed
 * export never leaves a file that looks whole (an existing file of that name is replaced).
 */
export function registerAuditExportCommand(
  audit: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  audit
    .command("export")
    .description("export the events that match a query, oldest first, with no cap on size")
    .option("--format <format>", `one of ${exportFormats.join(", ")} (default jsonl)`)
    .option(
      "--bundle",
      "write a verifiable bundle: the events, their inclusion proofs, a signed checkpoint and manifest " +
        "(check it offline with `audit verify-export`)",
    )
    .option("--query <query>", "only the events that match (docs/audit-search.md); default all", "")
    .option("--output <file>", "write to this file instead of stdout")
    .action((options: ExportOptions) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          // The file first: an output that cannot be written is refused before anything is recorded.
          const file = options.output === undefined ? undefined : createPartialFile(options.output);
          const reads = createAuditReads(runtime.audit, runtime.database.db, {
            indexWaitMs: Number.POSITIVE_INFINITY,
          });
          try {
            const opened = await reads.exporter.open(consoleTrail(runtime), {
              format: exportFormat(options),
              q: options.query,
            });
            const progress = io.isTerminal ? exportProgress(io, opened.total) : undefined;
            const texts = withProgress(opened.chunks, progress);
            if (file === undefined) {
              await writeToStdout(io, texts);
            } else {
              await pipeline(Readable.from(texts), fs.createWriteStream("", { fd: file.fd }));
              fs.renameSync(file.partial, file.target);
            }
            progress?.done();
            if (file !== undefined) {
              io.stderr(`Exported ${opened.total} events (${opened.format}) to ${file.target}\n`);
            }
          } finally {
            if (file !== undefined) fs.rmSync(file.partial, { force: true });
          }
        }),
      ),
    );
}

function exportFormat(options: ExportOptions): string {
  if (options.bundle !== true) return options.format ?? "jsonl";
  if (options.format !== undefined && options.format !== "jsonl") {
    throw invalidInput(
      "BundleFormat",
      "a bundle is JSON lines: leave out --format (or give jsonl) with --bundle",
    );
  }
  return "bundle";
}

interface ExportProgress {
  add(events: number): void;
  done(): void;
}

function exportProgress(io: CliIo, total: number): ExportProgress {
  let written = 0;
  return {
    add: (events) => {
      written += events;
      io.stderr(progressLine(written, total, "events"));
    },
    done: () => {
      io.stderr(CLEAR_LINE);
    },
  };
}

async function* withProgress(
  chunks: AsyncIterable<ExportChunk>,
  progress: ExportProgress | undefined,
): AsyncGenerator<string> {
  for await (const chunk of chunks) {
    yield chunk.text;
    progress?.add(chunk.events);
  }
}

async function writeToStdout(io: CliIo, texts: AsyncIterable<string>): Promise<void> {
  if (io.stdoutStream === undefined) {
    for await (const text of texts) io.stdout(text);
    return;
  }
  try {
    await pipeline(Readable.from(texts), io.stdoutStream, { end: false });
  } catch (error) {
    // The reader went away (`| head`): stop, as Unix tools do, without an error.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPIPE" && code !== "ERR_STREAM_PREMATURE_CLOSE") throw error;
  }
}

interface PartialFile {
  readonly target: string;
  readonly partial: string;
  readonly fd: number;
}

/** Opens `<file>.partial-<pid>` (mode 0600: audit data); renamed over `file` once complete. */
function createPartialFile(target: string): PartialFile {
  const partial = `${target}.partial-${process.pid}`;
  try {
    return { target, partial, fd: fs.openSync(partial, "w", 0o600) };
  } catch (error) {
    throw invalidInput("OutputUnwritable", `cannot write ${target}: ${(error as Error).message}`);
  }
}
