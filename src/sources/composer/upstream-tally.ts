import type { UpstreamSyncCounts } from "../../storage/database/sync-run-records.ts";

/** The packages a run of an eager sync or a change feed asks about, and the deleted ones to mark. */
export interface PackageWork {
  readonly mode: UpstreamSyncCounts["mode"];
  /** `dists`: an eager package (every dist mirrored); otherwise only its documents are refreshed. */
  readonly items: readonly { readonly name: string; readonly dists: boolean }[];
  readonly deletes: readonly string[];
  /** Eager packages left alone because the change feed did not name them. */
  readonly unchanged: number;
}

const MAX_LISTED_FAILURES = 100;

/** Counts what a run did, as it goes (packages run concurrently; JavaScript runs one at a time). */
export class UpstreamTally {
  readonly #mode: UpstreamSyncCounts["mode"];
  readonly #feedError: string | null;
  readonly #packages = { fetched: 0, unchanged: 0, failed: 0, gone: 0 };
  readonly #versions = { new: 0, known: 0 };
  readonly #dists = { fetched: 0, unchanged: 0, failed: 0 };
  readonly #failures: { package: string; reason: string }[] = [];

  /** `unchanged`: packages known unchanged without asking (the change feed did not name them). */
  constructor(mode: UpstreamSyncCounts["mode"], feedError: string | null, unchanged: number) {
    this.#mode = mode;
    this.#feedError = feedError;
    this.#packages.unchanged = unchanged;
  }

  package(changed: boolean): void {
    if (changed) this.#packages.fetched += 1;
    else this.#packages.unchanged += 1;
  }

  gone(): void {
    this.#packages.gone += 1;
  }

  failed(name: string, reason: string): void {
    this.#packages.failed += 1;
    if (this.#failures.length < MAX_LISTED_FAILURES) this.#failures.push({ package: name, reason });
  }

  versions(added: number, known: number): void {
    this.#versions.new += added;
    this.#versions.known += known;
  }

  dist(outcome: "fetched" | "unchanged" | "failed"): void {
    this.#dists[outcome] += 1;
  }

  counts(): UpstreamSyncCounts {
    return {
      mode: this.#mode,
      packages: { ...this.#packages },
      versions: { ...this.#versions },
      dists: { ...this.#dists },
      failures: [...this.#failures].sort((a, b) => a.package.localeCompare(b.package)),
      feedError: this.#feedError,
    };
  }
}

/** Why an eager sync whose work ended counts as failed (some packages failed), or null. */
export function failureMessage(counts: UpstreamSyncCounts): string | null {
  const { failed, fetched, unchanged } = counts.packages;
  if (failed === 0) return null;
  const first = counts.failures[0];
  const example = first === undefined ? "" : ` (${first.package}: ${first.reason})`;
  return `${failed} of ${failed + fetched + unchanged} packages could not be mirrored${example}`;
}
