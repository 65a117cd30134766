import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;

export interface LoggerOptions {
  readonly level: string;
  /** Where lines go; stdout (asynchronously buffered) when omitted. */
  readonly destination?: DestinationStream;
  /** Adds `"pid"` to every line: with several processes of `serve`, which one wrote it. */
  readonly pid?: boolean;
}

/**
 * Largest write to stdout. Up to PIPE_BUF (4096 bytes on Linux), a write to a pipe is atomic, and
 * the buffered writer only cuts between lines: the processes of `serve` share one stdout, and
 * bigger writes could interleave their lines mid-line in a pipe (a container log, journald).
 */
const ATOMIC_WRITE_BYTES = 4096;

/**
 * The operational log: one JSON object per line on stdout, in the shape the product's docs show:
 * `{"level":"info","message":"...","timestamp":"...","requestId":"req_...","context":{...}}`.
 * Callers pass structured data under `context`.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      messageKey: "message",
      base: options.pid === true ? { pid: process.pid } : null,
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      errorKey: "error",
    },
    options.destination ?? pino.destination({ dest: 1, sync: false, maxWrite: ATOMIC_WRITE_BYTES }),
  );
}

/** A logger that writes nothing, for tests and commands that must keep stdout clean. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
