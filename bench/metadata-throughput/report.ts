import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import type { StaticExport } from "./export-static.ts";
import { nginxVersion } from "./nginx.ts";
import { wrkVersion, type WrkSettings } from "./wrk.ts";

export const SCENARIOS = {
  single: { label: "one p2 file", rotate: false, gzip: false },
  rotation: { label: "all p2 files, round-robin", rotate: true, gzip: false },
  "single-gzip": { label: "one p2 file, gzip", rotate: false, gzip: true },
  "rotation-gzip": { label: "all p2 files, round-robin, gzip", rotate: true, gzip: true },
} as const;
export type ScenarioId = keyof typeof SCENARIOS;
/** broker: the build under test (audited); unaudited: the broker from before the audit log. */
export type ServerName = "broker" | "unaudited" | "nginx" | "node";

export interface RunRecord {
  readonly scenario: ScenarioId;
  readonly server: ServerName;
  readonly round: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly bytesPerResponse: number;
  /** connect, read, write and timeout errors reported by wrk. */
  readonly socketErrors: number;
  /** Average cores the server process (and its children: nginx workers) kept busy. */
  readonly serverCores: number;
  /** Lines the broker logged during the run (file log only). */
  readonly logLines?: number;
}

export interface MachineFacts {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly nginx: string;
  readonly wrk: string;
  readonly loadAverage: string;
}

export function machineFacts(): MachineFacts {
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nginx: nginxVersion(),
    wrk: wrkVersion(),
    loadAverage: os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" "),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) used so far by a process, all its threads included; 0 when gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" closing the command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Measures the CPU a server uses during a run: the process and its direct children (nginx's
 * workers). Returns a function giving the average number of cores busy since the start.
 */
export function cpuMeter(pid: number): () => number {
  const pids = [pid, ...childPids(pid)];
  const started = performance.now();
  const before = pids.map(cpuSeconds);
  return () => {
    const used = pids.map(cpuSeconds).reduce((sum, s, i) => sum + s - (before[i] ?? 0), 0);
    return used / ((performance.now() - started) / 1000);
  };
}

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function formatMs(us: number): string {
  return `${(us / 1000).toFixed(2)} ms`;
}

/** Fixed-width text table; the first row is the header. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row, index) => {
      const line = row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
      return index === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
    })
    .join("\n");
}

export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows;
  if (header === undefined) return "";
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...body.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

export interface ReportInput {
  readonly facts: MachineFacts;
  readonly loadAfter: string;
  readonly settings: {
    readonly packages: number;
    readonly wrk: WrkSettings;
    readonly rounds: number;
    readonly warmupSeconds: number;
    readonly brokerBin: string;
    /** The unaudited broker (--unaudited), when measured. */
    readonly unaudited?: string;
    readonly logLevel: string;
    readonly brokerLog: "file" | "discard";
    readonly nginxGzip: string;
    readonly nginxWorkers: number;
    /** PB_WORKERS of the broker (and of the unaudited one). */
    readonly brokerWorkers: number;
    readonly profiled: boolean;
  };
  readonly servers: readonly ServerName[];
  readonly scenarios: readonly ScenarioId[];
  readonly exported: StaticExport;
  readonly single: string;
  readonly records: readonly RunRecord[];
  readonly commands: Readonly<Partial<Record<ScenarioId, string>>>;
}

/** Prints the summary (medians per scenario and server, ratios) as text and as Markdown. */
export function printReport(input: ReportInput): void {
  const { facts, settings, exported, single, records } = input;
  const singleFile = exported.files.find((f) => f.path === single);
  const sizes = exported.files.filter((f) => f.path.startsWith("/p2/")).map((f) => f.bytes);
  const hasNode = input.servers.includes("node");
  const hasUnaudited = input.servers.includes("unaudited");
  const out: string[] = [
    "",
    hasUnaudited
      ? "=== Metadata throughput: package-broker serve, audited and unaudited, vs nginx (same files, same token check) ==="
      : "=== Metadata throughput: package-broker serve vs nginx (same files, same token check) ===",
    "",
    `Date:      ${facts.date}`,
    `Machine:   ${facts.cpus} CPUs, ${facts.cpuModel}, ${facts.memoryGiB} GiB, ${facts.kernel}`,
    `Software:  node ${facts.node}, nginx ${facts.nginx}, ${facts.wrk}`,
    `Load avg:  ${facts.loadAverage} before, ${input.loadAfter} after (1, 5, 15 min)`,
    `Fixture:   ${settings.packages} packages, ${sizes.length} p2 documents (${Math.min(...sizes)}-${Math.max(...sizes)} bytes); ` +
      `single = ${single} (${singleFile?.bytes ?? "?"} bytes, ${singleFile?.gzipBytes ?? "?"} gzipped)`,
    `Broker:    ${settings.brokerBin} serve, PB_WORKERS=${settings.brokerWorkers}, PB_LOG_LEVEL=${settings.logLevel}, ` +
      `stdout ${settings.brokerLog === "file" ? "to a file" : "to /dev/null"}, SQLite` +
      (settings.profiled ? ", UNDER --cpu-prof (numbers include the profiler's overhead)" : ""),
    ...(hasUnaudited
      ? [
          `Unaudited: ${settings.unaudited ?? "?"} (the broker before the audit log), same settings, own SQLite with the same data; ` +
            '"broker" below is the audited build',
        ]
      : []),
    `nginx:     worker_processes ${settings.nginxWorkers}, access_log off, keep-alive, gzip ${settings.nginxGzip}, ` +
      "token checked by a map on Authorization",
    ...(hasNode
      ? ["node:      bare node:http, files in memory, same token check, no log (one process)"]
      : []),
    `wrk:       -t${settings.wrk.threads} -c${settings.wrk.connections} -d${settings.wrk.durationSeconds}s, ` +
      `${settings.rounds} rounds in rotating order, ${settings.warmupSeconds} s warm-up per server and scenario; medians`,
    "",
  ];

  const header = [
    "scenario",
    "broker req/s",
    "broker p99",
    "nginx req/s",
    "nginx p99",
    "broker/nginx",
    ...(hasUnaudited
      ? ["unaudited req/s", "unaudited p99", "audited/unaudited", "same, per server CPU-second"]
      : []),
    ...(hasNode ? ["node req/s", "broker/node", "node/nginx"] : []),
  ];
  const rows: string[][] = [header];
  const detail: string[][] = [
    [
      "scenario",
      "server",
      "req/s per round",
      "p50",
      "p99",
      "bytes/response",
      "server CPU",
      "log lines/request",
    ],
  ];
  const ratios: number[] = [];
  const auditRatios: number[] = [];
  for (const scenario of input.scenarios) {
    const runs = (server: ServerName) =>
      records.filter((r) => r.scenario === scenario && r.server === server);
    const rps = (server: ServerName) => median(runs(server).map((r) => r.requestsPerSecond));
    const p99 = (server: ServerName) => formatMs(median(runs(server).map((r) => r.p99Us)));
    const broker = rps("broker");
    const nginx = rps("nginx");
    ratios.push(broker / nginx);
    const row = [
      SCENARIOS[scenario].label,
      formatInt(broker),
      p99("broker"),
      formatInt(nginx),
      p99("nginx"),
      (broker / nginx).toFixed(2),
    ];
    if (hasUnaudited) {
      const unaudited = rps("unaudited");
      auditRatios.push(broker / unaudited);
      // Requests per CPU-second of the server: what each costs, less sensitive to a busy machine.
      const efficiency = (server: ServerName) =>
        median(runs(server).map((r) => r.requestsPerSecond / Math.max(r.serverCores, 0.01)));
      row.push(
        formatInt(unaudited),
        p99("unaudited"),
        (broker / unaudited).toFixed(2),
        (efficiency("broker") / efficiency("unaudited")).toFixed(2),
      );
    }
    if (hasNode) {
      const node = rps("node");
      row.push(formatInt(node), (broker / node).toFixed(2), (node / nginx).toFixed(2));
    }
    rows.push(row);
    for (const server of input.servers) {
      const list = runs(server);
      const logged = list.flatMap((r) => (r.logLines === undefined ? [] : [r.logLines]));
      const requests = list.reduce((sum, r) => sum + r.requests, 0);
      detail.push([
        scenario,
        server,
        list.map((r) => formatInt(r.requestsPerSecond)).join(" "),
        formatMs(median(list.map((r) => r.p50Us))),
        formatMs(median(list.map((r) => r.p99Us))),
        formatInt(median(list.map((r) => r.bytesPerResponse))),
        `${median(list.map((r) => r.serverCores)).toFixed(2)} cores`,
        logged.length === 0 ? "-" : (logged.reduce((sum, n) => sum + n, 0) / requests).toFixed(3),
      ]);
    }
  }
  out.push(textTable(rows), "", textTable(detail), "");
  out.push("Commands (against the broker; the same against the others' ports):");
  for (const scenario of input.scenarios) out.push(`  ${scenario}: ${input.commands[scenario] ?? "?"}`);
  out.push("", "Markdown:", "", markdownTable(rows), "");
  const lowest = Math.min(...ratios);
  out.push(
    `Target broker/nginx >= 0.50: ${lowest >= 0.5 ? "met" : "NOT met"} (lowest ratio ${lowest.toFixed(2)})`,
  );
  if (hasUnaudited) {
    const lowestAudit = Math.min(...auditRatios);
    out.push(
      `Target audited/unaudited >= 0.80: ${lowestAudit >= 0.8 ? "met" : "NOT met"} (lowest ratio ${lowestAudit.toFixed(2)})`,
    );
  }
  const errors = records.reduce((sum, r) => sum + r.socketErrors, 0);
  if (errors > 0) out.push(`Socket errors reported by wrk: ${errors}`);
  process.stdout.write(`${out.join("\n")}\n`);
}
