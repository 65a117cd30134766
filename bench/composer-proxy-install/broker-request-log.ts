import fs from "node:fs";

export interface RequestKindStats {
  count: number;
  /** The broker's own `duration` (until the response is ready, body not included), summed. */
  durationMs: number;
  maxMs: number;
  errors: number;
}

export type RequestKind = "packages.json" | "p2" | "dist" | "other";

export interface BrokerRequests {
  readonly total: number;
  readonly byKind: Record<RequestKind, RequestKindStats>;
}

/**
 * The broker's stdout (PB_LOG_LEVEL=info, one JSON line per request) read from `offset` on: the
 * "Request completed" lines, counted and timed by kind of request. Returns the new offset.
 */
export function brokerRequestsSince(
  logFile: string,
  offset: number,
): { requests: BrokerRequests; offset: number } {
  const text = fs.readFileSync(logFile);
  const byKind: Record<RequestKind, RequestKindStats> = {
    "packages.json": emptyStats(),
    p2: emptyStats(),
    dist: emptyStats(),
    other: emptyStats(),
  };
  let total = 0;
  for (const line of text.subarray(offset).toString("utf8").split("\n")) {
    if (!line.includes('"Request completed"')) continue;
    const parsed = JSON.parse(line) as { context?: { path?: string; status?: number; duration?: number } };
    const context = parsed.context ?? {};
    const kind = requestKind(context.path ?? "");
    const stats = byKind[kind];
    const duration = context.duration ?? 0;
    stats.count++;
    stats.durationMs += duration;
    stats.maxMs = Math.max(stats.maxMs, duration);
    if ((context.status ?? 0) >= 400 && context.status !== 404) stats.errors++;
    total++;
  }
  return { requests: { total, byKind }, offset: text.length };
}

function emptyStats(): RequestKindStats {
  return { count: 0, durationMs: 0, maxMs: 0, errors: 0 };
}

function requestKind(path: string): RequestKind {
  if (path === "/packages.json") return "packages.json";
  if (path.startsWith("/p2/")) return "p2";
  if (path.startsWith("/dists/")) return "dist";
  return "other";
}
