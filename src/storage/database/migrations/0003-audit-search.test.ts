import { sql, type Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { testEngines } from "../../../../test/support/test-databases.ts";
import { migrateTo, openUnmigrated as open } from "../../../../test/support/migrate-to.ts";
import { purgedPayload } from "../audit-purge-records.ts";
import type { DatabaseHandle } from "../database-handle.ts";
import type { Database } from "../database-schema.ts";

/** A row as 0002 stored it (the leaf hash does not matter here). */
function legacyRow(seq: number, ip: string | null, details: object) {
  return {
    seq,
    id: `01J000000000000000000000${String(seq).padStart(2, "0")}`,
    schema_version: 1,
    timestamp: `2026-01-0${seq}T00:00:00.000Z`,
    event: "package_access",
    action: "download",
    severity: "info",
    outcome: "success",
    user: "pb_abcd…wxyz",
    actor: JSON.stringify({ type: "token", id: "pb_abcd…wxyz", auth_method: "basic" }),
    ip_address: ip,
    user_agent: "Composer/2.5.5",
    request_id: `req_${seq}`,
    target: JSON.stringify({ type: "package", name: "acme/widget", version: `1.0.${seq}` }),
    details: JSON.stringify(details),
    leaf_hash: "ab".repeat(32),
  };
}

const PURGE = purgedPayload("2027-01-01T00:00:00.000Z");

describe.each(testEngines())("migration 0003 (audit search) on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
  });

  it("keeps the rows 0002 wrote and derives their search keys and text", async () => {
    handle = await open(engine);
    const { db } = handle;
    await migrateTo(db, "0002-audit-log");
    await sql`insert into audit_logs (seq, id, schema_version, timestamp, event, action, severity, outcome, "user", actor, ip_address, user_agent, request_id, target, details, leaf_hash)
      values ${sql.join(
        [
          legacyRow(1, "203.0.113.7", { note: "first" }),
          legacyRow(2, "2001:db8::1", { note: "second zebra" }),
        ].map((row) => sql`(${sql.join(Object.values(row))})`),
      )}`.execute(db);
    await migrateTo(db, "0003-audit-search");

    // Raw SQL: 0006 dropped the derived columns, so the schema's types no longer have them.
    const { rows } =
      await sql`select seq, ip_key, package_name, package_version, token_ref, details, purged_at
      from audit_logs order by seq`.execute(db);
    expect(rows.map((row) => ({ ...(row as object), seq: Number((row as { seq: unknown }).seq) }))).toEqual([
      {
        seq: 1,
        ip_key: "00000000000000000000ffffcb007107",
        package_name: "acme/widget",
        package_version: "1.0.1",
        token_ref: "pb_abcd…wxyz",
        details: '{"note":"first"}',
        purged_at: null,
      },
      {
        seq: 2,
        ip_key: "20010db8000000000000000000000001",
        package_name: "acme/widget",
        package_version: "1.0.2",
        token_ref: "pb_abcd…wxyz",
        details: '{"note":"second zebra"}',
        purged_at: null,
      },
    ]);
    const found =
      engine === "sqlite"
        ? await sql<{
            seq: number;
          }>`select rowid as seq from audit_fts where audit_fts match 'zebra'`.execute(db)
        : await sql<{
            seq: number | string;
          }>`select seq from audit_logs where search_vector @@ phraseto_tsquery('simple', 'zebra')`.execute(
            db,
          );
    expect(found.rows.map((row) => Number(row.seq))).toEqual([2]);
  });

  describe("the append-only guard", () => {
    async function withRow(): Promise<Kysely<Database>> {
      handle = await open(engine);
      await migrateTo(handle.db, "0003-audit-search");
      await handle.db
        .insertInto("audit_logs")
        .values({ ...legacyRow(1, "203.0.113.7", { note: "secret" }), ip_key: "k", purged_at: null })
        .execute();
      return handle.db;
    }

    it("lets a purge clear the payload and keeps the rest", async () => {
      const db = await withRow();
      await db.updateTable("audit_logs").set(PURGE).where("seq", "=", 1).execute();
      const row = await db.selectFrom("audit_logs").selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        seq: 1,
        event: "package_access",
        action: "download",
        leaf_hash: "ab".repeat(32),
        user: null,
        details: null,
        package_name: null,
        token_ref: null,
        purged_at: "2027-01-01T00:00:00.000Z",
      });
      if (engine === "sqlite") {
        const found = await sql`select rowid from audit_fts where audit_fts match 'secret'`.execute(db);
        expect(found.rows).toEqual([]);
      }
    });

    it.each([
      ["an edit of the payload", { details: '{"note":"forged"}' }],
      ["an edit of the action", { action: "created" }],
      ["an edit of the leaf hash", { leaf_hash: "cd".repeat(32) }],
      ["a purge that keeps part of the payload", { ...PURGE, user: "pb_abcd…wxyz" }],
      ["a purge that moves the timestamp", { ...PURGE, timestamp: "2020-01-01T00:00:00.000Z" }],
      ["a purge that changes the outcome", { ...PURGE, outcome: "failure" }],
    ])("refuses %s", async (_name, change) => {
      const db = await withRow();
      await expect(db.updateTable("audit_logs").set(change).where("seq", "=", 1).execute()).rejects.toThrow(
        /append-only/,
      );
    });

    it("refuses a second purge and any delete", async () => {
      const db = await withRow();
      await db.updateTable("audit_logs").set(PURGE).where("seq", "=", 1).execute();
      await expect(
        db.updateTable("audit_logs").set({ purged_at: "2028-01-01T00:00:00.000Z" }).execute(),
      ).rejects.toThrow(/append-only/);
      await expect(db.deleteFrom("audit_logs").execute()).rejects.toThrow(/append-only/);
    });
  });
});
