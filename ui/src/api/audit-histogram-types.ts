/** `GET /api/audit/histogram` (docs/api.md): a search's events counted over time by the server. */

export interface AuditHistogramBucket {
  /** The bucket's first instant (ISO 8601, UTC); it ends where the next one starts. */
  readonly start: string;
  readonly count: number;
}

export interface AuditHistogramResponse {
  /** The range counted, [from, to); null when nothing matched. */
  readonly from: string | null;
  readonly to: string | null;
  /** Seconds per bucket (1 s up to weeks, aligned to UTC); null when there is no bucket. */
  readonly bucketSeconds: number | null;
  readonly total: number;
  /** Oldest first, every bucket of the range, also the empty ones. */
  readonly buckets: readonly AuditHistogramBucket[];
}
