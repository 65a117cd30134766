import type { AuditTrail } from "../audit/audit-trail.ts";
import type { VersionEntry } from "../composer/json-value.ts";

/** Who asks (for the audit events of upstream fetches), and the Via header of their request. */
export interface ProxyContext {
  readonly trail: AuditTrail | null;
  readonly receivedVia?: string | undefined;
}

/** A proxied p2 document: its change time and stamp, and its versions on demand. */
export interface ProxiedDocument {
  readonly changedAt: string;
  /** Identifies what `entries()` returns: the same stamp, the same entries (callers cache by it). */
  readonly stamp: string;
  /** The versions, dist URLs pointing at us: read and rendered only when called. */
  entries(): Promise<VersionEntry[]>;
}

/** A proxied dist as stored in the blob store. */
export interface ProxiedDist {
  readonly sha256: string;
  readonly sha1: string;
  readonly downloadedAt: string;
}

/**
 * Packages served from Composer upstreams (sources/composer/composer-proxy.ts), for names that no
 * private package has.
 */
export interface ProxiedCatalog {
  /** Patterns of names upstreams may serve (`*` for an upstream without patterns); null: no upstreams. */
  packagePatterns(): Promise<string[] | null>;
  p2(name: string, dev: boolean, context: ProxyContext): Promise<ProxiedDocument | null>;
  dist(
    name: string,
    versionNormalized: string,
    distKey: string,
    context: ProxyContext,
  ): Promise<ProxiedDist | null>;
}
