import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { migrateTo, openUnmigrated as open } from "../../../../test/support/migrate-to.ts";
import { testEngines } from "../../../../test/support/test-databases.ts";
import { purgedPayload } from "../audit-purge-records.ts";
import { AuditSearchIndex } from "../audit-search-index.ts";
import type { DatabaseHandle } from "../database-handle.ts";

function row(seq: number, word: string) {
  return {
    seq,
    id: `01JF00000000000000000000${String(seq).padStart(2, "0")}`,
    schema_version: 1,
    timestamp: `2026-01-0${seq}T00:00:00.000Z`,
    event: "package_access",
    action: "download",
    severity: "info",
    outcome: "success",
    user: "pb_abcd…wxyz",
    actor: JSON.stringify({ type: "token", id: "pb_abcd…wxyz", auth_method: "basic" }),
    ip_address: "203.0.113.7",
    user_agent: "Composer/2.5.5",
    request_id: `req_${seq}`,
    target: JSON.stringify({ type: "package", name: "acme/widget", version: `1.0.${seq}` }),
    details: JSON.stringify({ note: word }),
    leaf_hash: "ab".repeat(32),
    ip_key: "00000000000000000000ffffcb007107",
  };
}

/** The names of the indexes and triggers on `audit_logs`. */
async function auditLogObjects(handle: DatabaseHandle): Promise<string[]> {
  const { rows } =
    handle.engine === "sqlite"
      ? await sql<{ name: string }>`select name from sqlite_master
          where tbl_name = 'audit_logs' and type in ('index', 'trigger') and sql is not null order by name`.execute(
          handle.db,
        )
      : await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'audit_logs'
          union all select tgname from pg_trigger where tgrelid = 'audit_logs'::regclass and not tgisinternal
          order by name`.execute(handle.db);
  return rows.map((r) => r.name);
}

describe.each(testEngines())("migration 0006 (the search index leaves the log) on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
  });

  it("leaves audit_logs its key, event id and guard, keeps every row, and the index rebuilds from them", async () => {
    handle = await open(engine);
    const { db } = handle;
    await migrateTo(db, "0005-audit-privacy");
    await db
      .insertInto("audit_logs")
      .values([row(1, "zebra"), row(2, "okapi"), row(3, "zebra okapi")])
      .execute();
    await db
      .updateTable("audit_logs")
      .set(purgedPayload("2026-02-01T00:00:00.000Z"))
      .where("seq", "=", 3)
      .execute();
    await migrateTo(db, "0006-audit-search-index");

    const objects = await auditLogObjects(handle);
    expect(objects).toEqual(
      engine === "sqlite"
        ? ["audit_logs_no_delete", "audit_logs_no_update"]
        : ["audit_logs_append_only", "audit_logs_id_key", "audit_logs_no_truncate", "audit_logs_pkey"],
    );
    const { rows: columns } =
      engine === "sqlite"
        ? await sql<{ name: string }>`select name from pragma_table_xinfo('audit_logs') order by cid`.execute(
            db,
          )
        : await sql<{ name: string }>`select column_name as name from information_schema.columns
            where table_name = 'audit_logs' order by ordinal_position`.execute(db);
    expect(columns.map((c) => c.name)).not.toEqual(
      expect.arrayContaining([
        "package_name",
        "package_version",
        "repository_name",
        "token_ref",
        "search_vector",
      ]),
    );
    expect(columns.map((c) => c.name)).toContain("ip_key");
    const kept = await db
      .selectFrom("audit_logs")
      .select(["seq", "details", "purged_at"])
      .orderBy("seq")
      .execute();
    expect(kept.map((r) => [r.seq, r.details, r.purged_at !== null])).toEqual([
      [1, '{"note":"zebra"}', false],
      [2, '{"note":"okapi"}', false],
      [3, null, true],
    ]);

    // The search index starts empty and is built from the log; the purged event stays out.
    const index = new AuditSearchIndex(db);
    expect(await index.status()).toEqual({ indexedThrough: 0, size: 3 });
    await index.catchUp();
    const indexed = await db
      .selectFrom("audit_search")
      .select(["seq", "package_version"])
      .orderBy("seq")
      .execute();
    expect(indexed.map((r) => [r.seq, r.package_version])).toEqual([
      [1, "1.0.1"],
      [2, "1.0.2"],
    ]);

    // The guard still refuses edits, still lets a purge through.
    await expect(
      db.updateTable("audit_logs").set({ details: "{}" }).where("seq", "=", 1).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom("audit_logs").execute()).rejects.toThrow(/append-only/);
  });
});
