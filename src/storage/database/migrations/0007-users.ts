import { sql, type Kysely } from "kysely";

/**
 * People: users with a role, their browser sessions, two-factor recovery codes, one-time account
 * links (invitations, the first-run setup link, password resets), the failed logins that lock an
 * account or an address out, and the owner of a token.
 *
 * Secrets are never stored as they are: passwords as scrypt hashes, session and account
 * link tokens and recovery codes as SHA-256 hashes, the TOTP secret sealed with the server's secret
 * key (the secret box of stored credentials).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    // Lower-cased; the unique index makes `Alice@x` and `alice@x` one account.
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("name", "text")
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    // Null until the person sets one (an invited user).
    .addColumn("password_hash", "text")
    .addColumn("password_changed_at", "text")
    .addColumn("totp_secret", "text")
    .addColumn("totp_enabled_at", "text")
    // The last TOTP time step accepted: a code is never accepted twice.
    .addColumn("totp_last_step", "bigint")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("csrf_hash", "text", (c) => c.notNull())
    // Password checked, second factor still to come.
    .addColumn("pending_mfa", "integer", (c) => c.notNull())
    .addColumn("ip_address", "text")
    .addColumn("user_agent", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("last_seen_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();

  await db.schema
    .createTable("recovery_codes")
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("code_hash", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .addPrimaryKeyConstraint("recovery_codes_pk", ["user_id", "code_hash"])
    .execute();

  // One-time links: an invitation (e-mail and role chosen by an admin), the first-run setup link
  // (no e-mail: the person chooses it) and an admin's password reset for a user. Each works once
  // (`used_at`), until `expires_at`, unless revoked; a newer link of the same kind for the same
  // address or user revokes the older one.
  await db.schema
    .createTable("account_links")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("email", "text")
    .addColumn("role", "text")
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
    // No foreign key: the link (and its audit trail) outlives the admin who made it.
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .addColumn("revoked_at", "text")
    .execute();
  // At most one open link per purpose and address: of two invitations racing for one address,
  // the database keeps one (setup links have no address; there is one server to start them).
  await db.schema
    .createIndex("account_links_open")
    .unique()
    .on("account_links")
    .columns(["purpose", "email"])
    .where(sql.ref("used_at"), "is", null)
    .where(sql.ref("revoked_at"), "is", null)
    .execute();
  await db.schema.createIndex("account_links_user").on("account_links").column("user_id").execute();

  // One row per failed login: by account (lower-cased e-mail, known or not) and by address.
  await db.schema
    .createTable("login_failures")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("login_failures_subject")
    .on("login_failures")
    .columns(["subject", "at"])
    .execute();

  // A personal API token belongs to a user and is never wider than the user's role. No foreign
  // key: deleting a user revokes their tokens (the rows stay, with the audit trail's fingerprints).
  await db.schema.alterTable("tokens").addColumn("user_id", "text").execute();
  await db.schema.createIndex("tokens_user").on("tokens").column("user_id").execute();
}
