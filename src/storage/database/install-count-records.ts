import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

export interface InstallCount {
  readonly packageName: string;
  readonly versionNormalized: string;
  readonly count: number;
}

/** Installs on one UTC day. */
export interface DailyInstalls {
  /** YYYY-MM-DD. */
  readonly day: string;
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

  /** All-time totals per package (every version, deleted ones included); packages never installed are left out. */
  async packageTotals(packageNames: readonly string[]): Promise<Map<string, number>> {
    if (packageNames.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom("install_counts")
      .select((eb) => ["package_name", eb.fn.sum<number>("count").as("total")])
      .where("package_name", "in", [...packageNames])
      .groupBy("package_name")
      .execute();
    return new Map(rows.map((row) => [row.package_name, row.total]));
  }

  /**
   * Installs of a package (or of one of its versions) per UTC day from `from` to `to`, both
   * included, oldest first. Days without installs are left out.
   */
  async daily(
    packageName: string,
    range: { readonly from: string; readonly to: string; readonly versionNormalized?: string },
  ): Promise<DailyInstalls[]> {
    let query = this.#db
      .selectFrom("install_counts")
      .select((eb) => ["day", eb.fn.sum<number>("count").as("total")])
      .where("package_name", "=", packageName)
      .where("day", ">=", range.from)
      .where("day", "<=", range.to)
      .groupBy("day")
      .orderBy("day");
    if (range.versionNormalized !== undefined) {
      query = query.where("version_normalized", "=", range.versionNormalized);
    }
    const rows = await query.execute();
    return rows.map((row) => ({ day: row.day, count: row.total }));
  }
}
