/** The shapes of the API answers the dashboard reads (the OpenAPI document at /api/openapi.json). */

export type Role = "admin" | "maintainer" | "auditor" | "viewer";

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: Role;
  readonly status: "active" | "blocked";
  readonly passwordSet: boolean;
  readonly twoFactor: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Session {
  readonly user: User;
  readonly csrfToken: string;
  readonly expiresAt: string;
  readonly twoFactorEnrolmentRequired: boolean;
}

export interface PackageSummary {
  readonly name: string;
  readonly description: string | null;
  readonly latestVersion: string | null;
  readonly versionCount: number;
  readonly downloads: number;
  readonly updatedAt: string;
}

export interface PackagePage {
  readonly packages: readonly PackageSummary[];
  readonly next_cursor: string | null;
}

export interface Repository {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly hasCredentials: boolean;
  readonly packagePatterns: readonly string[];
  readonly eagerPackages: readonly string[];
  readonly status: string;
  readonly defaultBranch: string | null;
  readonly lastError: string | null;
  readonly lastSyncedAt: string | null;
  readonly createdAt: string;
}

/** A composer upstream's health as the answering node saw it, and what the store holds of it. */
export interface UpstreamReport {
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly lastError: string | null;
  readonly consecutiveFailures: number;
  readonly coolingDownUntil: string | null;
  readonly cachedPackages: number;
  readonly cachedDists: number;
  readonly integrityConflicts: number;
}

export interface RepositoryDetail extends Repository {
  readonly upstream: UpstreamReport | null;
}

export interface SyncRun {
  readonly id: string;
  readonly repositoryId: string;
  readonly status: "running" | "succeeded" | "failed" | "interrupted";
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly details: {
    readonly added: readonly string[];
    readonly updated: readonly string[];
    readonly removed: readonly string[];
    readonly skipped: readonly { readonly ref: string; readonly reason: string }[];
    readonly moved: readonly { readonly ref: string; readonly from: string; readonly to: string }[];
    readonly upstream?: {
      readonly mode: "full" | "changes";
      readonly packages: {
        readonly fetched: number;
        readonly unchanged: number;
        readonly failed: number;
        readonly gone: number;
      };
      readonly failures: readonly { readonly package: string; readonly reason: string }[];
      readonly feedError: string | null;
    };
  };
  readonly error: string | null;
  /** While `running`: fetching from the source, or reading refs (packages) `done` of `total`. */
  readonly progress: SyncProgress | null;
}

export type SyncProgress =
  | { readonly phase: "fetching" }
  | {
      readonly phase: "refs";
      readonly done: number;
      readonly total: number;
      readonly ref: string;
      readonly unit?: "packages";
    };

interface ServedIdentity {
  readonly reference: string | null;
  readonly shasum: string | null;
  readonly sourceReference: string | null;
}

/** A package name two composer upstreams both have: the first in priority serves it. */
export interface NameConflict {
  readonly package: string;
  readonly servedBy: { readonly id: string; readonly name: string };
  readonly shadowed: { readonly id: string; readonly name: string };
  readonly firstSeenAt: string;
}

export interface IntegrityConflict {
  readonly package: string;
  readonly version: string;
  readonly firstSeenAt: string;
  readonly firstSeen: ServedIdentity & {
    readonly distSha256: string | null;
    readonly distSha1: string | null;
  };
  readonly conflicting: ServedIdentity;
  readonly seenAt: string | null;
}

export interface Alert {
  readonly id: string;
  readonly title: string;
  readonly level: string;
  readonly count: number;
  readonly firedAt: string;
  readonly status: "open" | "acknowledged";
}

export interface AlertPage {
  readonly alerts: readonly Alert[];
  readonly nextCursor: string | null;
}

export type AuditVerification =
  | {
      readonly ok: true;
      readonly size: number;
      readonly checkpoint: { readonly size: number; readonly rootHash: string } | null;
    }
  | { readonly ok: false; readonly firstBadSeq: number; readonly reason: string; readonly detail: string };

export type TokenScope = "read" | "write" | "admin";

export interface Token {
  readonly id: string;
  readonly description: string;
  readonly fingerprint: string;
  readonly scopes: readonly TokenScope[];
  readonly packagePatterns: readonly string[];
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly createdAt: string;
  readonly owner: { readonly id: string } | null;
}

export interface CreatedToken extends Token {
  readonly token: string;
}

export interface LinkDescription {
  readonly purpose: "invitation" | "setup" | "password-reset";
  readonly email: string | null;
  readonly role: Role | null;
  readonly expiresAt: string;
}

export interface TwoFactorStatus {
  readonly enabled: boolean;
  readonly pending: boolean;
  readonly enabledAt: string | null;
  readonly recoveryCodesLeft: number;
  readonly required: boolean;
}

export interface AuditEvent {
  readonly id: string;
  readonly seq: number;
  readonly timestamp: string;
  readonly event: string;
  readonly action: string;
  readonly severity: string;
  readonly outcome: string;
  readonly actor: { readonly type: string; readonly id: string; readonly auth_method?: string };
  readonly target?: {
    readonly type?: string;
    readonly id?: string;
    readonly name?: string;
    readonly version?: string;
  };
}

export interface AuditPage {
  readonly events: readonly AuditEvent[];
  readonly next_cursor: string | null;
}

export interface AuditSink {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly paused: boolean;
  readonly delivered: number;
  readonly lag: { readonly events: number; readonly seconds: number };
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
}

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

export interface BusinessHours {
  readonly timeZone: string;
  readonly days: readonly Weekday[];
  readonly start: string;
  readonly end: string;
}

export interface LegalHold {
  readonly active: boolean;
  readonly reason: string | null;
  readonly since: string | null;
  readonly by?: string | null;
}

export interface Settings {
  readonly security: { readonly requireTwoFactor: boolean };
  readonly alerts: { readonly businessHours: BusinessHours };
  readonly audit: {
    readonly retentionDays: Readonly<Record<string, number>>;
    readonly legalHold: LegalHold;
  };
}

export interface IssuedLink {
  readonly url: string;
  readonly delivery: { readonly status: string; readonly error?: string };
}
