import type { Clock } from "../clock/clock.ts";
import { invalidInput, notFound } from "../errors/domain-error.ts";
import type { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import type { JobRun, JobRunCursor, JobRunRecords } from "../storage/database/job-run-records.ts";
import type { BackgroundJobInfo } from "./background-job-catalog.ts";

/** A background job as the jobs API shows it: what it is, who runs it, how its last round ended. */
export interface JobStatus extends BackgroundJobInfo {
  /** `held`: a process holds its lease now; `free`: none (no server runs, or the holder died). */
  readonly state: "held" | "free";
  /** `host:pid:random` of the process holding the lease (or that held it last). */
  readonly holder: string | null;
  readonly leaseUntil: string | null;
  /** When a process last took or renewed the lease: each round does, idle or not. */
  readonly lastTickAt: string | null;
  /** The latest round that did something or failed. */
  readonly lastRun: JobRun | null;
}

export interface JobRunPage {
  readonly runs: JobRun[];
  readonly nextCursor: string | null;
}

const MAX_RUNS_LISTED = 500;
const ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The background jobs and their history, read for the API and the CLI (docs/operations/jobs.md). */
export class JobBoard {
  readonly #catalog: readonly BackgroundJobInfo[];
  readonly #leases: JobLeaseRecords;
  readonly #runs: JobRunRecords;
  readonly #clock: Clock;

  constructor(options: {
    catalog: readonly BackgroundJobInfo[];
    leases: JobLeaseRecords;
    runs: JobRunRecords;
    clock: Clock;
  }) {
    this.#catalog = options.catalog;
    this.#leases = options.leases;
    this.#runs = options.runs;
    this.#clock = options.clock;
  }

  async list(): Promise<JobStatus[]> {
    const leases = new Map((await this.#leases.list()).map((lease) => [lease.name, lease]));
    const now = this.#clock.now().toISOString();
    return Promise.all(
      this.#catalog.map(async (job): Promise<JobStatus> => {
        const lease = leases.get(job.name);
        const [lastRun] = await this.#runs.list({ job: job.name, limit: 1, after: null });
        const until = lease?.holder == null ? null : lease.lease_until;
        const held = until !== null && until > now;
        return {
          ...job,
          state: held ? "held" : "free",
          holder: lease?.holder ?? null,
          leaseUntil: held ? until : null,
          lastTickAt: lease?.last_started_at ?? null,
          lastRun: lastRun ?? null,
        };
      }),
    );
  }

  /** A job's runs (every job's without `job`), newest first, in pages. */
  async runs(query: {
    readonly job?: string | undefined;
    readonly limit?: number | undefined;
    readonly cursor?: string | undefined;
  }): Promise<JobRunPage> {
    const job = query.job ?? null;
    if (job !== null && !this.#catalog.some((known) => known.name === job)) {
      throw notFound("JobNotFound", `no background job is called ${JSON.stringify(job)}`);
    }
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RUNS_LISTED) {
      throw invalidInput(
        "InvalidLimit",
        `the limit must be a whole number from 1 to ${String(MAX_RUNS_LISTED)}`,
      );
    }
    const after = query.cursor === undefined ? null : parseCursor(query.cursor);
    const rows = await this.#runs.list({ job, limit: limit + 1, after });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      runs: page,
      nextCursor: rows.length > limit && last !== undefined ? `${last.startedAt}|${last.id}` : null,
    };
  }
}

function parseCursor(cursor: string): JobRunCursor {
  const [startedAt, id, extra] = cursor.split("|");
  if (
    startedAt === undefined ||
    id === undefined ||
    extra !== undefined ||
    !ID.test(id) ||
    Number.isNaN(Date.parse(startedAt))
  ) {
    throw invalidInput("InvalidCursor", "the cursor is not one this server gave out");
  }
  return { startedAt, id };
}
