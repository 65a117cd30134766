import type { Kysely } from "kysely";

/**
 * Eager mirroring of composer upstreams, their change feeds and name conflicts (docs/proxy.md).
 *
 * - `repositories.eager_packages`: JSON array of the package patterns a sync of a composer upstream
 *   mirrors ahead of time (metadata and every dist); empty: lazy only.
 * - `proxy_change_feeds`: an upstream's `metadata-changes-url` (from its packages.json) and the
 *   feed's own `timestamp` as of the last time we read it: the `since` of the next request.
 * - `proxy_name_conflicts`: a package name that two upstreams both have. `served_by` wins (it comes
 *   first in priority), `shadowed` has it too; recorded once per name and pair.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("repositories")
    .addColumn("eager_packages", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();

  await db.schema
    .createTable("proxy_change_feeds")
    .addColumn("repository_id", "text", (c) =>
      c.primaryKey().references("repositories.id").onDelete("cascade"),
    )
    .addColumn("changes_url", "text", (c) => c.notNull())
    // The feed's timestamp (Packagist: 1/10000 s) as a decimal string; null until first read.
    .addColumn("since", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("proxy_name_conflicts")
    .addColumn("package_name", "text", (c) => c.notNull())
    .addColumn("served_by", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("shadowed", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("first_seen_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("proxy_name_conflicts_pk", ["package_name", "served_by", "shadowed"])
    .execute();
  await db.schema
    .createIndex("proxy_name_conflicts_shadowed")
    .on("proxy_name_conflicts")
    .column("shadowed")
    .execute();
}
