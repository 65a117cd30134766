import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("repositories")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("credentials", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("default_branch", "text")
    .addColumn("sync_lease_until", "text")
    .addColumn("last_error", "text")
    .addColumn("last_synced_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("repository_refs")
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("ref", "text", (c) => c.notNull())
    .addColumn("commit", "text", (c) => c.notNull())
    .addColumn("package_name", "text")
    .addColumn("version_normalized", "text")
    .addColumn("skip_reason", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("repository_refs_pk", ["repository_id", "ref"])
    .execute();

  await db.schema
    .createTable("sync_runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("versions_added", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("versions_removed", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("refs_skipped", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .execute();
  await db.schema
    .createIndex("sync_runs_repository")
    .on("sync_runs")
    .columns(["repository_id", "started_at"])
    .execute();

  await db.schema
    .createTable("packages")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("package_versions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("package_name", "text", (c) => c.notNull().references("packages.name"))
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("version_normalized", "text", (c) => c.notNull())
    .addColumn("is_dev", "integer", (c) => c.notNull())
    .addColumn("origin", "text", (c) => c.notNull())
    .addColumn("repository_id", "text", (c) => c.references("repositories.id").onDelete("cascade"))
    .addColumn("reference", "text", (c) => c.notNull())
    .addColumn("metadata", "text", (c) => c.notNull())
    .addColumn("dist_sha256", "text", (c) => c.notNull())
    .addColumn("dist_sha1", "text", (c) => c.notNull())
    .addColumn("dist_size", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("package_versions_name_version", ["package_name", "version_normalized"])
    .execute();
  await db.schema
    .createIndex("package_versions_repository")
    .on("package_versions")
    .column("repository_id")
    .execute();
  await db.schema.createIndex("package_versions_dist").on("package_versions").column("dist_sha256").execute();

  await db.schema
    .createTable("tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("package_patterns", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("revoked_at", "text")
    .addColumn("last_used_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("install_counts")
    .addColumn("package_name", "text", (c) => c.notNull())
    .addColumn("version_normalized", "text", (c) => c.notNull())
    .addColumn("day", "text", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("install_counts_pk", ["package_name", "version_normalized", "day"])
    .execute();

  await db.schema
    .createTable("catalog_state")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("revision", "integer", (c) => c.notNull())
    .addColumn("changed_at", "text", (c) => c.notNull())
    .execute();
  await sql`insert into catalog_state (id, revision, changed_at) values (1, 0, '1970-01-01T00:00:00.000Z')`.execute(
    db,
  );
}
