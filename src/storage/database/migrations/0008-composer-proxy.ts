import type { Kysely } from "kysely";

/**
 * Composer repositories as upstreams (lazy mirroring, docs/proxy.md).
 *
 * - `repositories` gains the allow list of package patterns of an upstream and the metadata URL
 *   template (`metadata-url` of its packages.json, made absolute) found when it was added.
 * - `proxy_documents`: what an upstream last said about one p2 document (`name.json` or
 *   `name~dev.json`): found or not, the versions it listed, its Last-Modified (for
 *   If-Modified-Since), when we last asked and when the served document last changed.
 * - `proxy_versions`: the integrity ledger. The first-seen version entry (with the upstream's
 *   reference and dist) of every proxied version, kept as it was first seen; the dist bytes once
 *   downloaded (SHA-256 in the blob store), and the last different entry an upstream served.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("repositories")
    .addColumn("package_patterns", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();
  await db.schema.alterTable("repositories").addColumn("metadata_url", "text").execute();

  await db.schema
    .createTable("proxy_documents")
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("package_name", "text", (c) => c.notNull())
    .addColumn("dev", "integer", (c) => c.notNull())
    // 1: the upstream has the document; 0: it answered 404 (a negative cache entry).
    .addColumn("found", "integer", (c) => c.notNull())
    // JSON array of version_normalized, in the upstream's order.
    .addColumn("versions", "text", (c) => c.notNull())
    .addColumn("upstream_last_modified", "text")
    .addColumn("checked_at", "text", (c) => c.notNull())
    // Whole seconds; the Last-Modified of the document we serve.
    .addColumn("changed_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("proxy_documents_pk", ["repository_id", "package_name", "dev"])
    .execute();
  await db.schema
    .createIndex("proxy_documents_name")
    .on("proxy_documents")
    .columns(["package_name", "dev"])
    .execute();

  await db.schema
    .createTable("proxy_versions")
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("package_name", "text", (c) => c.notNull())
    .addColumn("version_normalized", "text", (c) => c.notNull())
    // JSON: the expanded version entry as first seen, with the upstream's dist.
    .addColumn("entry", "text", (c) => c.notNull())
    .addColumn("reference", "text")
    // 40 hex digits: names the dist in our URL (SHA-1 of the upstream dist URL and reference).
    .addColumn("dist_key", "text", (c) => c.notNull())
    .addColumn("upstream_dist_url", "text")
    .addColumn("upstream_shasum", "text")
    // Set once the dist was downloaded and stored.
    .addColumn("dist_sha256", "text")
    .addColumn("dist_sha1", "text")
    .addColumn("dist_size", "bigint")
    .addColumn("first_seen_at", "text", (c) => c.notNull())
    .addColumn("downloaded_at", "text")
    // JSON: the last entry the upstream served that differs from the first-seen one, or null.
    .addColumn("conflicting_entry", "text")
    .addPrimaryKeyConstraint("proxy_versions_pk", ["repository_id", "package_name", "version_normalized"])
    .execute();
  await db.schema
    .createIndex("proxy_versions_dist")
    .on("proxy_versions")
    .columns(["package_name", "version_normalized", "dist_key"])
    .execute();
}
