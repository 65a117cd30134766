import { z } from "zod";
import type { AccessGrant } from "../access/access-grant.ts";
import type { Clock } from "../clock/clock.ts";
import type { CatalogRecords } from "../storage/database/catalog-records.ts";
import type { InstallCountRecords } from "../storage/database/install-count-records.ts";

/** The body Composer POSTs to notify-batch after an install. */
export const notifyBatchSchema = z.object({
  downloads: z
    .array(z.object({ name: z.string().min(1).max(255), version: z.string().min(1).max(255) }).loose())
    .max(5000),
});

export type NotifyBatch = z.infer<typeof notifyBatchSchema>;

export interface RecordedInstalls {
  readonly counted: number;
  readonly ignored: number;
}

/**
 * Turns Composer's install notifications into install counts. Only versions that exist and that
 * the token may see are counted; the rest is ignored (Composer ignores the response anyway).
 */
export class InstallRecorder {
  readonly #catalog: CatalogRecords;
  readonly #counts: InstallCountRecords;
  readonly #clock: Clock;

  constructor(options: { catalog: CatalogRecords; counts: InstallCountRecords; clock: Clock }) {
    this.#catalog = options.catalog;
    this.#counts = options.counts;
    this.#clock = options.clock;
  }

  async record(batch: NotifyBatch, grant: AccessGrant): Promise<RecordedInstalls> {
    const installs: { packageName: string; versionNormalized: string }[] = [];
    for (const download of batch.downloads) {
      const packageName = download.name.toLowerCase();
      if (!grant.canSeePackage(packageName)) continue;
      const version = await this.#catalog.findVersion(packageName, download.version);
      if (version !== null) installs.push({ packageName, versionNormalized: version.versionNormalized });
    }
    await this.#counts.add(installs, this.#clock.now().toISOString().slice(0, 10));
    return { counted: installs.length, ignored: batch.downloads.length - installs.length };
  }
}
