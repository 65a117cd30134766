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
  readonly status: string;
  readonly lastError: string | null;
  readonly lastSyncedAt: string | null;
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

export interface Settings {
  readonly security: { readonly requireTwoFactor: boolean };
  readonly alerts: {
    readonly businessHours: {
      readonly timeZone: string;
      readonly days: readonly string[];
      readonly start: string;
      readonly end: string;
    };
  };
  readonly audit: {
    readonly retentionDays: Readonly<Record<string, number>>;
    readonly legalHold: {
      readonly active: boolean;
      readonly reason: string | null;
      readonly since: string | null;
    };
  };
}

export interface IssuedLink {
  readonly url: string;
  readonly delivery: { readonly status: string; readonly error?: string };
}
