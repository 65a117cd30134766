import { log } from "../audit-data/machine.ts";
import { Cleanup } from "./processes.ts";

/** A whole-number option in [min, max]; else an error naming the flag (a usage error, exit 2). */
export function countOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be ${min}..${max}`);
  return n;
}

/** What a benchmark's command line turns into, and how it runs. */
export interface BenchSpec<O extends { readonly keep: boolean }> {
  /** The options from argv; undefined after printing --help; throws for a bad flag. */
  readonly parse: (argv: readonly string[]) => O | undefined;
  readonly help: string;
  /** When the run is stopped, whatever it is doing. */
  readonly timeLimitMs: (options: O) => number;
  readonly main: (options: O, cleanup: Cleanup) => Promise<void>;
}

/**
 * Runs a benchmark to its exit code (0 done, 1 failed, 2 bad usage, 124 time limit, 130/143
 * interrupted): everything registered with the Cleanup is undone on success, failure, Ctrl-C,
 * SIGTERM, the time limit, and (synchronously) on exit.
 */
export async function benchEntry<O extends { readonly keep: boolean }>(spec: BenchSpec<O>): Promise<number> {
  let options: O | undefined;
  try {
    options = spec.parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${spec.help}`);
    return 2;
  }
  if (options === undefined) return 0;
  const cleanup = new Cleanup();
  process.once("exit", () => {
    cleanup.runSync();
  });
  const state = { aborting: false };
  const abort = (why: string, code: number): void => {
    state.aborting = true;
    log(`${why}: stopping everything`);
    const forced = setTimeout(() => process.exit(code), 15_000);
    forced.unref();
    void cleanup.run().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => {
    abort("interrupted", 130);
  });
  process.once("SIGTERM", () => {
    abort("terminated", 143);
  });
  const limit = spec.timeLimitMs(options);
  const watchdog = setTimeout(() => {
    abort(`time limit of ${Math.round(limit / 1000)} s reached`, 124);
  }, limit);
  watchdog.unref();
  try {
    await spec.main(options, cleanup);
    return 0;
  } catch (error) {
    if (!state.aborting)
      log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    if (options.keep) cleanup.keepDirs();
    await cleanup.run();
  }
}
