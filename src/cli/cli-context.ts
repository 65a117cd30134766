import { systemClock } from "../clock/clock.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger, type Logger } from "../observability/logger.ts";
import { consoleContext } from "../audit/audit-event.ts";
import { auditTrail, type AuditTrail } from "../audit/audit-trail.ts";
import { openRuntime, type Runtime } from "../runtime.ts";

/** Where a command writes; injected so tests can capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTerminal: boolean;
  /**
   * The stream behind `stdout`, for output too large to buffer (exports): written with
   * backpressure. Tests leave it out and capture `stdout`.
   */
  readonly stdoutStream?: NodeJS.WritableStream;
  /** All of standard input (`--password-stdin`); tests pass a string. */
  readonly readStdin?: () => Promise<string>;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stdoutStream: process.stdout,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTerminal: process.stderr.isTTY,
};

/** Commands other than `serve` keep stdout for their output: the log goes to stderr. */
export function commandLogger(io: CliIo): Logger {
  const config = loadConfig(io.env);
  return createLogger({
    level: config.logLevel === "info" ? "warn" : config.logLevel,
    destination: {
      write: (line: string) => {
        io.stderr(line);
      },
    },
  });
}

/** Opens the configured database (running pending migrations), runs `work`, and closes it. */
export async function withRuntime<T>(io: CliIo, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const runtime = await openRuntime(config, commandLogger(io), systemClock, { answersRequests: false });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/** Prints `value` as JSON when asked, otherwise the human form. */
export function output(io: CliIo, json: boolean, value: unknown, human: () => string): void {
  io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/**
 * Thrown by a command that has already reported its failure on stdout (a failed sync prints its
 * run): `runCli` exits with `exitCode` and prints nothing more. Commands never set
 * `process.exitCode`, which would leak into every later `runCli` call in the same process.
 */
export class CommandFailed extends Error {
  override readonly name = "CommandFailed";
  readonly exitCode: number;

  constructor(exitCode: number, message = "the command failed") {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Actions taken at the console are recorded as the `console` actor. */
export function consoleTrail(runtime: Runtime): AuditTrail {
  return auditTrail(runtime.audit.log, consoleContext);
}
