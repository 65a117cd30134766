import type { PackageSummary } from "./api-types.ts";

/** A package's links to other packages (`require`, `conflict`, …): name to constraint or reason. */
export type PackageLinks = Readonly<Record<string, string>>;

/** One version of a package (`versions` of GET /api/packages/{vendor}/{name}). */
export interface PackageVersion {
  readonly version: string;
  readonly versionNormalized: string;
  readonly isDev: boolean;
  readonly stability: "stable" | "RC" | "beta" | "alpha" | "dev";
  readonly reference: string;
  readonly dist: { readonly sha256: string; readonly sha1: string; readonly size: number };
  readonly time: string | null;
  readonly origin: "git" | "upload";
  readonly repositoryId: string | null;
  readonly downloads: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** GET /api/packages/{vendor}/{name}: the package, what its described version says, its versions. */
export interface PackageDetails extends PackageSummary {
  readonly origin: "git" | "upload";
  readonly repositoryId: string | null;
  readonly createdAt: string;
  readonly latest: {
    readonly version: string;
    readonly versionNormalized: string;
    readonly type: string | null;
    readonly license: readonly string[];
    readonly homepage: string | null;
    readonly keywords: readonly string[];
    readonly require: PackageLinks;
    readonly requireDev: PackageLinks;
    readonly conflict: PackageLinks;
    readonly replace: PackageLinks;
    readonly provide: PackageLinks;
    readonly suggest: PackageLinks;
  };
  readonly versions: readonly PackageVersion[];
}

export interface DailyCount {
  readonly day: string;
  readonly count: number;
}

/** GET /api/packages/{vendor}/{name}/downloads: installs per UTC day, oldest first. */
export interface PackageDownloads {
  readonly name: string;
  readonly version: string | null;
  readonly total: number;
  readonly days: number;
  readonly from: string;
  readonly to: string;
  readonly periodTotal: number;
  readonly daily: readonly DailyCount[];
}

export interface JobRun {
  readonly id: string;
  readonly job: string;
  readonly holder: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: "succeeded" | "failed";
  readonly error: string | null;
}

/** GET /api/jobs: a background job, who holds it, and its latest run. */
export interface JobStatus {
  readonly name: string;
  readonly description: string;
  readonly intervalSeconds: number;
  readonly state: "held" | "free";
  readonly holder: string | null;
  readonly leaseUntil: string | null;
  readonly lastTickAt: string | null;
  readonly lastRun: JobRun | null;
}
