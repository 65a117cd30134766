import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

export interface InstallCount {
  readonly packageName: string;
  readonly versionNormalized: string;
  readonly count: number;
}

/** Installs reported by Composer's notify-batch, counted per package version and UTC day. */
export class InstallCountRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(
    installs: readonly { packageName: string; versionNormalized: string }[],
    day: string,
  ): Promise<void> {
    if (installs.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const install of installs) {
        await trx
          .insertInto("install_counts")
          .values({
            package_name: install.packageName,
            version_normalized: install.versionNormalized,
            day,
            count: 1,
          })
          .onConflict((oc) =>
            oc
              .columns(["package_name", "version_normalized", "day"])
              .doUpdateSet((eb) => ({ count: eb("install_counts.count", "+", 1) })),
          )
          .execute();
      }
    });
  }

  /** Totals per version, optionally for one package. */
  async totals(packageName?: string): Promise<InstallCount[]> {
    let query = this.#db
      .selectFrom("install_counts")
      .select((eb) => ["package_name", "version_normalized", eb.fn.sum<number>("count").as("total")])
      .groupBy(["package_name", "version_normalized"])
      .orderBy("package_name")
      .orderBy("version_normalized");
    if (packageName !== undefined) query = query.where("package_name", "=", packageName);
    const rows = await query.execute();
    return rows.map((row) => ({
      packageName: row.package_name,
      versionNormalized: row.version_normalized,
      count: row.total,
    }));
  }
}
