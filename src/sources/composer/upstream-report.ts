import type { UpstreamHealthState } from "./upstream-health.ts";

/** An upstream's health as this node sees it, and what the store holds of it (GET /api/repositories/{id}). */
export interface UpstreamReport extends UpstreamHealthState {
  readonly cachedPackages: number;
  readonly cachedDists: number;
  readonly integrityConflicts: number;
}

/** The identity of one version as an upstream served it. */
export interface ServedIdentity {
  readonly reference: string | null;
  readonly shasum: string | null;
  readonly sourceReference: string | null;
}

/** A version an upstream later served differently from the first-seen entry the broker keeps serving. */
export interface IntegrityConflict {
  readonly package: string;
  readonly version: string;
  readonly firstSeenAt: string;
  readonly firstSeen: ServedIdentity & {
    /** The stored dist, once downloaded. */
    readonly distSha256: string | null;
    readonly distSha1: string | null;
  };
  readonly conflicting: ServedIdentity;
  /** When the different entry was last served; null if recorded before the broker kept the time. */
  readonly seenAt: string | null;
}
