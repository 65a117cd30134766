import { spawnSync } from "node:child_process";
import path from "node:path";
import type { Cleanup } from "./processes.ts";

export const WRK_BIN = "wrk";
const SCRIPT = path.join(import.meta.dirname, "wrk-script.lua");

export interface WrkSettings {
  readonly threads: number;
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface WrkTarget {
  readonly baseUrl: string;
  /** One path: wrk's static request. Several: round-robin through the Lua script. */
  readonly paths: readonly string[];
  /** A file listing `paths`, one a line (needed when there are several). */
  readonly pathsFile: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly errors: {
    readonly connect: number;
    readonly read: number;
    readonly write: number;
    /** Responses with a status above 399. */
    readonly status: number;
    readonly timeout: number;
  };
  readonly latencyUs: {
    readonly mean: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
}

export function wrkArgs(settings: WrkSettings, target: WrkTarget): string[] {
  const args = [
    `-t${settings.threads}`,
    `-c${settings.connections}`,
    `-d${settings.durationSeconds}s`,
    ...Object.entries(target.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    "-s",
    SCRIPT,
  ];
  const [only] = target.paths;
  if (target.paths.length === 1 && only !== undefined) return [...args, `${target.baseUrl}${only}`];
  return [...args, `${target.baseUrl}/`, "--", target.pathsFile];
}

/** The command line as a person would type it (the token shown as $TOKEN, the paths file as p2-paths.txt). */
export function wrkCommandLine(args: readonly string[], token: string, pathsFile: string): string {
  return [WRK_BIN, ...args]
    .map((arg) => arg.replaceAll(token, "$TOKEN"))
    .map((arg) => (arg === SCRIPT ? "bench/metadata-throughput/wrk-script.lua" : arg))
    .map((arg) => (arg === pathsFile ? "p2-paths.txt" : arg))
    .map((arg) => (/^[\w./:=@-]+$/.test(arg) ? arg : `'${arg}'`))
    .join(" ");
}

/** Runs wrk once and returns what the script's done() reported. */
export async function runWrk(
  cleanup: Cleanup,
  args: readonly string[],
  timeoutMs: number,
): Promise<WrkResult> {
  const child = cleanup.spawn("wrk", WRK_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.process.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.process.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const timer = setTimeout(() => {
    child.signal("SIGKILL");
  }, timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  const line = output.split("\n").find((l) => l.startsWith("WRK_RESULT "));
  if (code !== 0 || line === undefined) throw new Error(`wrk exited with ${code}:\n${output}`);
  return JSON.parse(line.slice("WRK_RESULT ".length)) as WrkResult;
}

export function wrkVersion(): string {
  const result = spawnSync(WRK_BIN, ["-v"], { encoding: "utf8" });
  const first = `${result.stdout}${result.stderr}`.split("\n")[0] ?? "unknown";
  return first.replace(/\s*Copyright.*$/, "").trim();
}
