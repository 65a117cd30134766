import fs from "node:fs";
import path from "node:path";
import { log } from "../audit-data/machine.ts";

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) this summary reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileRow {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  /** Profiles added up (one per process). */
  readonly processes: number;
  readonly totalMs: number;
  readonly idlePercent: number;
  /** Self time by where the code lives: a package, a broker file, node internals, GC. */
  readonly byArea: readonly ProfileRow[];
  /** Functions by self time. */
  readonly bySelf: readonly ProfileRow[];
  /** Functions by inclusive time (themselves and what they call). */
  readonly byTotal: readonly ProfileRow[];
}

/**
 * Summarizes .cpuprofile files (one per process: the broker's workers are added up): where the
 * CPU time went, excluding nothing (idle is reported apart).
 */
export function summarizeCpuProfile(files: readonly string[], projectRoot: string, top = 25): ProfileSummary {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let all = 0;
  let idle = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
    const sampled = addProfile(profile, projectRoot, { self, total, areas });
    all += sampled.all;
    idle += sampled.idle;
  }
  const busy = all - idle;
  const rows = (map: Map<string, number>, exclude: (name: string) => boolean = () => false): ProfileRow[] =>
    [...map.entries()]
      .filter(([name]) => !exclude(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, percent: busy > 0 ? (100 * ms) / busy : 0 }));
  return {
    processes: files.length,
    totalMs: all,
    idlePercent: all > 0 ? (100 * idle) / all : 0,
    byArea: rows(areas),
    bySelf: rows(self),
    byTotal: rows(total, (name) => name === "(root)" || name === "(program)"),
  };
}

/** Adds one profile's samples to the maps; returns its sampled and idle milliseconds. */
function addProfile(
  profile: CpuProfile,
  projectRoot: string,
  into: { self: Map<string, number>; total: Map<string, number>; areas: Map<string, number> },
): { all: number; idle: number } {
  const { self, total, areas } = into;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const label = (id: number): string => {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return "?";
    const where = frame.url === "" ? "" : ` ${shortUrl(frame.url, projectRoot)}:${frame.lineNumber + 1}`;
    return `${frame.functionName === "" ? "(anonymous)" : frame.functionName}${where}`;
  };
  const area = (id: number): string => {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return "?";
    return frame.url === "" ? frame.functionName || "(native)" : areaOf(frame.url, projectRoot);
  };

  let all = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    all += delta;
    const name = label(id);
    if (name === "(idle)") {
      idle += delta;
      return;
    }
    add(self, name, delta);
    add(areas, area(id), delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = label(at);
      if (!seen.has(frame)) {
        seen.add(frame);
        add(total, frame, delta);
      }
    }
  });
  return { all, idle };
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function shortUrl(url: string, projectRoot: string): string {
  const file = url.startsWith("file://") ? new URL(url).pathname : url;
  const nodeModules = file.lastIndexOf("/node_modules/");
  if (nodeModules >= 0) return file.slice(nodeModules + "/node_modules/".length);
  return file.startsWith(projectRoot) ? path.relative(projectRoot, file) : file;
}

function areaOf(url: string, projectRoot: string): string {
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0] ?? ""}`;
  const short = shortUrl(url, projectRoot);
  if (url.includes("/node_modules/")) {
    const parts = short.split("/");
    return parts[0]?.startsWith("@") === true ? `${parts[0]}/${parts[1] ?? ""}` : (parts[0] ?? short);
  }
  return short;
}

export function formatProfile(summary: ProfileSummary): string {
  const table = (title: string, rows: readonly ProfileRow[]): string =>
    [
      title,
      ...rows.map(
        (row) => `  ${row.percent.toFixed(1).padStart(5)}%  ${row.ms.toFixed(0).padStart(7)} ms  ${row.name}`,
      ),
    ].join("\n");
  return [
    `CPU profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled in ${summary.processes} process(es), ${summary.idlePercent.toFixed(1)}% idle; percentages are of the busy time`,
    table("By area (self time):", summary.byArea),
    table("By function, self time:", summary.bySelf),
    table("By function, inclusive time:", summary.byTotal),
  ].join("\n\n");
}

/**
 * Copies the broker's .cpuprofile files (one per process: with PB_WORKERS > 1, the primary's and
 * each worker's) from `profileDir` to `profileOut` (numbered when several) and prints their summary.
 */
export function keepCpuProfiles(profileDir: string, profileOut: string, brokerRoot: string): void {
  const files = fs.existsSync(profileDir)
    ? fs
        .readdirSync(profileDir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => path.join(profileDir, f))
    : [];
  if (files.length === 0) {
    log("no .cpuprofile was written (did the broker exit cleanly?)");
    return;
  }
  const kept = files.map((_file, index) =>
    files.length === 1 ? profileOut : profileOut.replace(/(\.cpuprofile)?$/, `.${index + 1}$1`),
  );
  files.forEach((file, index) => {
    fs.copyFileSync(file, kept[index] ?? profileOut);
  });
  process.stdout.write(`\n${formatProfile(summarizeCpuProfile(kept, brokerRoot))}\n`);
  log(`CPU profile kept at ${kept.join(", ")} (open in Chrome DevTools > Performance)`);
}
