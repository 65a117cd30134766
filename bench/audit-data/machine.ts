import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

/**
 * Helpers shared by the audit benches: progress messages, a polite wait while another benchmark
 * runs on this shared machine, and the machine facts every result is recorded with.
 */

export function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Another benchmark's processes on this machine (wrk, or the metadata-throughput bench). */
export function otherBenchmarks(): string[] {
  const found: string[] = [];
  for (const args of [
    ["-x", "wrk"],
    ["-f", "metadata-throughput"],
  ]) {
    const result = spawnSync("pgrep", args, { encoding: "utf8" });
    const pids = result.stdout
      .split("\n")
      .map((line) => line.trim())
      .filter((pid) => pid !== "" && pid !== String(process.pid));
    if (pids.length > 0) found.push(`${args[1] ?? ""} (pid ${pids.join(", ")})`);
  }
  return found;
}

/** Waits while the 1-minute load average is above `maxLoad`, up to `maxWaitMinutes`; returns ms waited. */
export async function waitForLoad(maxLoad: number, maxWaitMinutes: number): Promise<number> {
  const started = Date.now();
  while ((os.loadavg()[0] ?? 0) > maxLoad && Date.now() - started < maxWaitMinutes * 60_000) {
    log(`load average ${os.loadavg()[0]?.toFixed(2) ?? "?"} is above ${maxLoad}: waiting 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
  }
  return Date.now() - started;
}

/**
 * Waits (30 s at a time, up to `maxWaitMs`) while another benchmark runs, so neither measurement
 * disturbs the other. Returns the milliseconds waited; throws when the wait is too long.
 */
export async function waitForQuietMachine(enabled: boolean, maxWaitMs = 60 * 60_000): Promise<number> {
  if (!enabled) return 0;
  const started = Date.now();
  for (;;) {
    const busy = otherBenchmarks();
    if (busy.length === 0) return Date.now() - started;
    if (Date.now() - started > maxWaitMs) {
      throw new Error(
        `another benchmark kept running for ${Math.round(maxWaitMs / 60_000)} min: ${busy.join("; ")}`,
      );
    }
    log(`waiting: another benchmark is running (${busy.join("; ")})`);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
  }
}

export interface MachineFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly disk: string;
  readonly load: string;
}

export function machineFacts(dir: string): MachineFacts {
  const df = spawnSync("df", ["-hT", dir], { encoding: "utf8" }).stdout.trim().split("\n").at(-1) ?? "";
  const [device = "?", type = "?", size = "?", , avail = "?"] = df.split(/\s+/);
  const rotational = (() => {
    const name = device.replace(/^\/dev\//, "").replace(/\d+$/, "");
    try {
      return `rotational=${fs.readFileSync(`/sys/block/${name}/queue/rotational`, "utf8").trim()}`;
    } catch {
      return "?";
    }
  })();
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    disk: `${device} ${type} ${size} (${avail} free), ${rotational}`,
    load: os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" "),
  };
}

export function formatMachine(facts: MachineFacts): string {
  return `${facts.cpus} CPUs (${facts.cpuModel}), ${facts.memoryGiB} GiB, ${facts.kernel}, node ${facts.node}, disk ${facts.disk}, load ${facts.load}`;
}

/** Peak resident set size of this process, in MiB (the kernel's high-water mark). */
export function peakRssMiB(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (match?.[1] !== undefined) return Number(match[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Resets the kernel's high-water mark of this process's RSS (Linux ≥ 4.0), so phases can be told apart. */
export function resetPeakRss(): boolean {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A bound on a run's time: exits with 124 when reached (cleanup runs on "exit"). */
export function timeLimit(minutes: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    log(`time limit of ${minutes} min reached: stopping`);
    process.exit(124);
  }, minutes * 60_000);
  timer.unref();
  return timer;
}

/** The tables of every bench's report. */
export { markdownTable, textTable } from "../metadata-throughput/report.ts";

/**
 * The entry of a bench script: parses the options (a usage error prints HELP, exit 2), runs
 * `main` within the time limit, and turns a failure into exit 1 with its stack on stderr.
 */
export async function runBench<O extends { readonly timeLimit: number }>(
  parse: (argv: readonly string[]) => O | undefined,
  help: string,
  main: (options: O) => Promise<void>,
): Promise<void> {
  let options: O | undefined;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${help}`);
    process.exitCode = 2;
  }
  if (options === undefined) return;
  const timer = timeLimit(options.timeLimit);
  try {
    await main(options);
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
  }
}

/** The benches over generated data need a database: `--sqlite FILE` (existing), `--pg-url`, or both. */
export function requireDatabaseArguments(sqlite: string | undefined, pgUrl: string | undefined): void {
  if (sqlite === undefined && pgUrl === undefined) throw new Error("give --sqlite and/or --pg-url");
  if (sqlite !== undefined && !fs.existsSync(sqlite)) throw new Error(`${sqlite} does not exist`);
}
