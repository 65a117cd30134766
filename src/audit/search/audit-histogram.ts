import { invalidInput } from "../../errors/domain-error.ts";
import type { AuditHistogramRecords } from "../../storage/database/audit-histogram-records.ts";
import { parseQuery } from "../audit-search.ts";
import type { AuditTrail } from "../audit-trail.ts";
import { recordedAuditRead } from "../recorded-audit-read.ts";
import { AuditQueryError, type QueryNode } from "./audit-query.ts";
import { histogramLayout } from "./histogram-layout.ts";
import { parseInstant } from "./parse-created-range.ts";

export const DEFAULT_HISTOGRAM_BUCKETS = 60;
export const MAX_HISTOGRAM_BUCKETS = 500;

export interface AuditHistogramRequest {
  /** The query text (docs/audit-search.md); empty matches every event. */
  readonly q: string;
  /** As written in the request: a whole number from 1 to 500 (default 60). */
  readonly buckets?: string;
  /** The range's start, inclusive, as `created:` writes an instant; absent: the first match. */
  readonly from?: string;
  /** The range's end, exclusive; absent: just after the last match. */
  readonly to?: string;
}

export interface HistogramBucket {
  /** The bucket's first instant (ISO 8601, UTC); it ends where the next one starts. */
  readonly start: string;
  readonly count: number;
}

export interface AuditHistogramResult {
  /** The range counted, [from, to); null when nothing matched and no range was given. */
  readonly from: string | null;
  readonly to: string | null;
  /** Seconds per bucket; null when there are no buckets. */
  readonly bucketSeconds: number | null;
  /** Events counted: the sum of the buckets. */
  readonly total: number;
  /** Oldest first, every bucket of the range (also those with no event). */
  readonly buckets: readonly HistogramBucket[];
}

/** 10000-01-01T00:00:00Z: the last event of year 9999 ends the range here. */
const YEAR_10000_MS = 253_402_300_800_000;

const EMPTY: AuditHistogramResult = { from: null, to: null, bucketSeconds: null, total: 0, buckets: [] };

/**
 * The events of a search over time, counted by the database: the query language of the search,
 * over the same events, in at most `buckets` buckets of a round width aligned to UTC
 * (histogram-layout.ts). Every read is recorded as an `audit`/`histogram_read` event.
 */
export class AuditHistogram {
  readonly #records: AuditHistogramRecords;

  constructor(records: AuditHistogramRecords) {
    this.#records = records;
  }

  async count(request: AuditHistogramRequest): Promise<AuditHistogramResult> {
    const query = parseQuery(request.q);
    const maxBuckets = parseBuckets(request.buckets);
    const given = { from: parseBound(request.from, "from"), to: parseBound(request.to, "to") };
    if (given.from !== null && given.to !== null && given.from >= given.to) {
      throw invalidInput("InvalidRange", "from must come before to (to is exclusive)", { parameter: "to" });
    }
    // A `created:` range of the query narrows the range (the count honours it in SQL anyway).
    const created = createdBounds(query);
    let from = highest(given.from, created.from);
    let to = lowest(given.to, created.to);
    if (from !== null && to !== null && from >= to) return EMPTY;
    if (given.from === null || given.to === null) {
      const window = { from: from === null ? null : iso(from), to: to === null ? null : iso(to) };
      const bounds = await this.#records.bounds(query, window);
      if (bounds === null) {
        if (given.from === null && given.to === null) return EMPTY;
        // One side given: the range is the other side alone, no bucket to show.
        return { ...EMPTY, from: window.from, to: window.to };
      }
      if (given.from === null) from = Date.parse(bounds.first);
      if (given.to === null) to = Date.parse(bounds.last) + 1;
    }
    if (from === null || to === null || from >= to) return EMPTY;
    const layout = histogramLayout(from, to, maxBuckets);
    const widthMs = layout.widthSeconds * 1000;
    const counts = await this.#records.counts(
      query,
      // An end at year 10000 bounds nothing (and `+010000-…` would sort before every timestamp).
      { from: iso(from), to: to >= YEAR_10000_MS ? null : iso(to) },
      { firstStartSeconds: layout.firstStartMs / 1000, widthSeconds: layout.widthSeconds },
    );
    const buckets = Array.from({ length: layout.bucketCount }, (_, index) => ({
      start: new Date(layout.firstStartMs + index * widthMs).toISOString(),
      count: counts.get(index) ?? 0,
    }));
    return {
      from: iso(from),
      to: iso(to),
      bucketSeconds: layout.widthSeconds,
      total: buckets.reduce((sum, bucket) => sum + bucket.count, 0),
      buckets,
    };
  }

  /** `count`, recorded: the request, and the total and buckets it returned (or the refusal). */
  async countAndRecord(trail: AuditTrail, request: AuditHistogramRequest): Promise<AuditHistogramResult> {
    const details = {
      query: request.q.slice(0, 2000),
      buckets: request.buckets?.slice(0, 32) ?? null,
      from: request.from?.slice(0, 64) ?? null,
      to: request.to?.slice(0, 64) ?? null,
    };
    return recordedAuditRead(
      trail,
      "histogram_read",
      details,
      () => this.count(request),
      (result) => ({
        total: result.total,
        bucket_seconds: result.bucketSeconds,
        returned: result.buckets.length,
      }),
    );
  }
}

function parseBuckets(text: string | undefined): number {
  if (text === undefined) return DEFAULT_HISTOGRAM_BUCKETS;
  const value = /^[0-9]{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= MAX_HISTOGRAM_BUCKETS)) {
    throw invalidInput(
      "InvalidBuckets",
      `buckets must be a whole number from 1 to ${MAX_HISTOGRAM_BUCKETS}, not ${JSON.stringify(text.slice(0, 32))}`,
      { parameter: "buckets" },
    );
  }
  return value;
}

/** An instant of the request (epoch ms), or null when absent; a bad one is a 400 that says where. */
function parseBound(text: string | undefined, parameter: "from" | "to"): number | null {
  if (text === undefined) return null;
  try {
    return parseInstant(text);
  } catch (error) {
    if (error instanceof AuditQueryError) {
      throw invalidInput("InvalidDate", `${parameter}: ${error.message}`, {
        parameter,
        position: error.position,
      });
    }
    throw error;
  }
}

/** The range every match lies in by the query's own top-level `created:` terms (ms; null: open). */
function createdBounds(query: QueryNode | null): { from: number | null; to: number | null } {
  const terms =
    query === null ? [] : query.kind === "and" ? query.children : query.kind === "created" ? [query] : [];
  let from: number | null = null;
  let to: number | null = null;
  for (const term of terms) {
    if (term.kind !== "created") continue;
    from = highest(from, term.from === null ? null : Date.parse(term.from));
    to = lowest(to, term.to === null ? null : Date.parse(term.to));
  }
  return { from, to };
}

function highest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

function lowest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
