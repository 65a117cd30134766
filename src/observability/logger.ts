import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;

export interface LoggerOptions {
  readonly level: string;
  /** Where lines go; stdout (asynchronously buffered) when omitted. */
  readonly destination?: DestinationStream;
}

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
      base: null,
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      errorKey: "error",
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing, for tests and commands that must keep stdout clean. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
