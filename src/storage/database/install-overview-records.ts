import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";
import type { DailyInstalls } from "./install-count-records.ts";

/** A package's installs within a range of days. */
export interface PackageInstalls {
  readonly name: string;
  readonly count: number;
}

/**
 * Package names per `IN (…)` list: far below SQLite's and PostgreSQL's bound-parameter limits,
 * and small enough for the query planner to use the primary key.
 */
const NAMES_PER_QUERY = 500;

/**
 * Install counts summed across packages: every package (`names` null, one aggregate query each),
 * or only the named ones (the names are bound parameters, a query per 500 of them).
 */
export class InstallOverviewRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** All-time installs per package (deleted versions and packages included); never installed: left out. */
  async packageTotals(): Promise<PackageInstalls[]> {
    const rows = await this.#db
      .selectFrom("install_counts")
      .select((eb) => ["package_name", eb.fn.sum<number>("count").as("total")])
      .groupBy("package_name")
      .execute();
    return rows.map((row) => ({ name: row.package_name, count: row.total }));
  }

  /** All-time installs of every package. */
  async total(): Promise<number> {
    const row = await this.#db
      .selectFrom("install_counts")
      .select((eb) => eb.fn.sum<number | null>("count").as("total"))
      .executeTakeFirst();
    return row?.total ?? 0;
  }

  /**
   * Installs per UTC day from `from` to `to` (both included), summed over every package or over
   * these packages, oldest first. Days without installs are left out.
   */
  async daily(
    names: readonly string[] | null,
    range: { readonly from: string; readonly to: string },
  ): Promise<DailyInstalls[]> {
    const byDay = new Map<string, number>();
    for (const chunk of chunks(names)) {
      let query = this.#db
        .selectFrom("install_counts")
        .select((eb) => ["day", eb.fn.sum<number>("count").as("total")])
        .where("day", ">=", range.from)
        .where("day", "<=", range.to)
        .groupBy("day");
      if (chunk !== null) query = query.where("package_name", "in", chunk);
      for (const row of await query.execute()) {
        byDay.set(row.day, (byDay.get(row.day) ?? 0) + row.total);
      }
    }
    return [...byDay]
      .map(([day, count]) => ({ day, count }))
      .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  }

  /**
   * The packages of the catalog most installed from `from` to `to` (both included), most first,
   * ties by name; at most `limit`. Packages deleted since are left out.
   */
  async top(
    names: readonly string[] | null,
    range: { readonly from: string; readonly to: string; readonly limit: number },
  ): Promise<PackageInstalls[]> {
    const found: PackageInstalls[] = [];
    for (const chunk of chunks(names)) {
      let query = this.#db
        .selectFrom("install_counts")
        .innerJoin("packages", "packages.name", "install_counts.package_name")
        .select((eb) => [
          "install_counts.package_name",
          eb.fn.sum<number>("install_counts.count").as("total"),
        ])
        .where("install_counts.day", ">=", range.from)
        .where("install_counts.day", "<=", range.to)
        .groupBy("install_counts.package_name")
        .orderBy("total", "desc")
        .orderBy("install_counts.package_name")
        .limit(range.limit);
      if (chunk !== null) query = query.where("install_counts.package_name", "in", chunk);
      for (const row of await query.execute()) {
        found.push({ name: row.package_name, count: row.total });
      }
    }
    // The most of each chunk, merged: the most of all.
    return found
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, range.limit);
  }
}

/** Every package (one `null` chunk), or the names in chunks; no names: no chunk at all. */
function chunks(names: readonly string[] | null): (string[] | null)[] {
  if (names === null) return [null];
  const result: string[][] = [];
  for (let start = 0; start < names.length; start += NAMES_PER_QUERY) {
    result.push(names.slice(start, start + NAMES_PER_QUERY));
  }
  return result;
}
