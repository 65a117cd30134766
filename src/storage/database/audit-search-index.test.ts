import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import {
  createPostgresDatabase,
  createTestDatabase,
  testEngines,
} from "../../../test/support/test-databases.ts";
import { consoleContext } from "../../audit/audit-event.ts";
import { AuditLog } from "../../audit/audit-log.ts";
import { AuditSearch } from "../../audit/audit-search.ts";
import { parseAuditQuery } from "../../audit/search/parse-audit-query.ts";
import { startSearchIndexer } from "../../audit/search/start-search-indexer.ts";
import { createSilentLogger } from "../../observability/logger.ts";
import { systemClock } from "../../clock/clock.ts";
import { AuditPurgeRecords, purgedPayload } from "./audit-purge-records.ts";
import { AuditRecords } from "./audit-records.ts";
import { AuditSearchIndex } from "./audit-search-index.ts";
import { AuditSearchRecords } from "./audit-search-records.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { migrateToLatest } from "./migrate-to-latest.ts";
import { openPostgresDatabase } from "./postgres-database.ts";
import { openSqliteDatabase } from "./sqlite-database.ts";
import { searchStoreFile, SEARCH_STORE_VERSION } from "./sqlite-search-store.ts";

const handles: DatabaseHandle[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function append(handle: DatabaseHandle, count: number, from = 0): Promise<void> {
  const log = new AuditLog({
    records: new AuditRecords(handle.db),
    clock: systemClock,
    onCommitted: () => undefined,
  });
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      log.append(
        {
          event: "package_access",
          action: "download",
          outcome: "success",
          target: { type: "package", name: `acme/pkg-${(from + i) % 7}`, version: "1.0.0" },
          details: { word: `w${from + i}` },
        },
        { ...consoleContext, ipAddress: "203.0.113.7" },
      ),
    ),
  );
}

async function indexed(handle: DatabaseHandle): Promise<number[]> {
  const rows = await handle.db.selectFrom("audit_search").select("seq").orderBy("seq").execute();
  return rows.map((row) => row.seq);
}

/** The seqs free text finds, straight from the engine's text index. */
async function textMatches(handle: DatabaseHandle, word: string): Promise<number[]> {
  const { rows } =
    handle.engine === "sqlite"
      ? await sql<{ seq: number }>`select rowid as seq from audit_fts where audit_fts match ${word}`.execute(
          handle.db,
        )
      : await sql<{
          seq: number | string;
        }>`select seq from audit_search where search_vector @@ phraseto_tsquery('simple', ${word})`.execute(
          handle.db,
        );
  return rows.map((row) => Number(row.seq));
}

describe.each(testEngines())("the audit search index on %s", (engine) => {
  async function open(): Promise<DatabaseHandle> {
    const handle = await createTestDatabase(engine);
    handles.push(handle);
    return handle;
  }

  it("stays behind the log until a step indexes it, a batch per transaction", async () => {
    const handle = await open();
    await append(handle, 25);
    const index = new AuditSearchIndex(handle.db);
    expect(await index.status()).toEqual({ indexedThrough: 0, size: 25 });
    expect(await index.step(10)).toEqual({ indexedThrough: 10, size: 25 });
    expect(await indexed(handle)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await index.catchUp({ batch: 10 })).toEqual({ indexedThrough: 25, size: 25 });
    expect(await indexed(handle)).toHaveLength(25);
    expect(await index.step()).toEqual({ indexedThrough: 25, size: 25 });
    const row = await handle.db
      .selectFrom("audit_search")
      .selectAll()
      .where("seq", "=", 3)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      event: "package_access",
      action: "download",
      package_name: "acme/pkg-2",
      package_version: "1.0.0",
      ip_key: "00000000000000000000ffffcb007107",
    });
    expect(await textMatches(handle, "w2")).toEqual([3]);
  });

  it("stops at `until` and at the deadline", async () => {
    const handle = await open();
    await append(handle, 30);
    const index = new AuditSearchIndex(handle.db);
    expect((await index.catchUp({ until: 12, batch: 5 })).indexedThrough).toBe(15);
    // A deadline already past: one transaction, then back.
    expect((await index.catchUp({ deadline: 0, batch: 5 })).indexedThrough).toBe(20);
  });

  it("indexes each event exactly once while two indexers race", async () => {
    const handle = await open();
    await append(handle, 400);
    const second =
      engine === "sqlite" ? handle : openPostgresDatabase(await urlOf(handle), { maxConnections: 2 });
    if (second !== handle) handles.push(second);
    const a = new AuditSearchIndex(handle.db);
    const b = new AuditSearchIndex(second.db);
    await Promise.all([a.catchUp({ batch: 7 }), b.catchUp({ batch: 11 }), a.catchUp({ batch: 13 })]);
    expect(await indexed(handle)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  });

  it("indexes a row whose JSON is corrupt instead of stopping there", async () => {
    const handle = await open();
    await append(handle, 2);
    // Rows written behind the log's back (`audit verify` would report them; the index must not care).
    const row = (seq: number, json: { actor: string; target: string; details: string }) => ({
      seq,
      id: `01JF000000000000000000000${seq}`,
      schema_version: 1,
      timestamp: "2026-01-01T00:00:00.000Z",
      event: "package_access",
      action: "download",
      severity: "info",
      outcome: "success",
      user: "console",
      ...json,
      ip_address: null,
      user_agent: null,
      request_id: null,
      leaf_hash: "ab".repeat(32),
      purged_at: null,
      ip_key: null,
    });
    await handle.db
      .insertInto("audit_logs")
      .values([
        row(3, { actor: "{not json", target: '{"type":"package"', details: "zebra]" }),
        row(4, { actor: "{}", target: '{"type":"package","name":"acme/after"}', details: '{"w":"okapi"}' }),
      ])
      .execute();
    const index = new AuditSearchIndex(handle.db);
    expect(await index.catchUp()).toEqual({ indexedThrough: 4, size: 4 });
    expect(await indexed(handle)).toEqual([1, 2, 3, 4]);
    expect(await textMatches(handle, "zebra")).toEqual([3]);
    expect(await textMatches(handle, "okapi")).toEqual([4]);
  });

  it("loses a purged event's keys and words with its payload, and skips it when it indexes late", async () => {
    const handle = await open();
    await append(handle, 6);
    const index = new AuditSearchIndex(handle.db);
    await index.catchUp({ until: 3 });
    const purges = new AuditPurgeRecords(handle.db);
    // Everything is older than a date in the future; the purge catches the index up first.
    const batch = await purges.purgeBatch(
      "package_access",
      "2999-01-01T00:00:00.000Z",
      "2999-01-01T00:00:00.000Z",
      4,
    );
    expect(batch).toMatchObject({ count: 4, found: 4, firstSeq: 1, lastSeq: 4 });
    expect(await indexed(handle)).toEqual([5, 6]);
    expect(await textMatches(handle, "w1")).toEqual([]);
    expect(await textMatches(handle, "w5")).toEqual([6]);
  });

  it("counts what an export pinned at a seq writes: purged events out, later appends out", async () => {
    const handle = await open();
    await append(handle, 40);
    const records = new AuditSearchRecords(handle.db, () => []);
    const purges = new AuditPurgeRecords(handle.db);
    await purges.purgeBatch("package_access", "2999-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z", 5);
    await append(handle, 10, 40);
    expect(await records.count(null, 40)).toBe(35);
    expect(await records.count(null, null)).toBe(45);
    // acme/pkg-3 is event i with i % 7 === 3: seqs 4, 11, 18, 25, 32, 39, then 44; seq 4 was
    // among the five oldest, purged.
    const query = parseAuditQuery("package:acme/pkg-3");
    expect(await records.count(query, 40)).toBe(5);
    expect(await records.count(query, null)).toBe(6);
  });

  it("keeps pages full when the index still lists events whose payload a purge cleared", async () => {
    const handle = await open();
    await append(handle, 150);
    await new AuditSearchIndex(handle.db).catchUp();
    // What a crash between SQLite's two files can leave: the log purged, the index not.
    await handle.db
      .updateTable("audit_logs")
      .set(purgedPayload("2026-12-01T00:00:00.000Z"))
      .where("seq", ">", 140)
      .execute();
    const search = new AuditSearch(new AuditSearchRecords(handle.db, () => []));
    const page = await search.page({ q: "event:package_access", limit: 5 });
    expect(page.events.map((event) => event.seq)).toEqual([140, 139, 138, 137, 136]);
    expect(page.nextCursor).not.toBeNull();
  });
});

describe("the SQLite search file", () => {
  function tempFile(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-search-"));
    dirs.push(dir);
    return path.join(dir, "broker.sqlite");
  }

  it("sits beside the database file", () => {
    expect(searchStoreFile("/data/broker.sqlite")).toBe("/data/broker.search.sqlite");
    expect(searchStoreFile("/data/broker.db")).toBe("/data/broker.search.db");
    expect(searchStoreFile("/data/broker")).toBe("/data/broker.search.sqlite");
    expect(searchStoreFile(":memory:")).toBe(":memory:");
  });

  it("is rebuilt from the log when it is deleted, or when its layout is older", async () => {
    const file = tempFile();
    let handle = openSqliteDatabase(file);
    await migrateToLatest(handle.db);
    await append(handle, 5);
    await new AuditSearchIndex(handle.db).catchUp();
    await handle.close();
    for (const suffix of ["", "-wal", "-shm"])
      fs.rmSync(`${searchStoreFile(file)}${suffix}`, { force: true });

    handle = openSqliteDatabase(file);
    handles.push(handle);
    const index = new AuditSearchIndex(handle.db);
    expect(await index.status()).toEqual({ indexedThrough: 0, size: 5 });
    await index.catchUp();
    expect(await indexed(handle)).toEqual([1, 2, 3, 4, 5]);
    await handle.close();
    handles.pop();

    // A file of another layout version is emptied and rebuilt.
    const raw = new BetterSqlite3(searchStoreFile(file));
    raw.pragma(`user_version = ${SEARCH_STORE_VERSION + 1}`);
    raw.close();
    handle = openSqliteDatabase(file);
    handles.push(handle);
    expect(await new AuditSearchIndex(handle.db).status()).toEqual({ indexedThrough: 0, size: 5 });
  });

  it("lets the indexer thread and a search's catch-up index together, each event once", async () => {
    const file = tempFile();
    const handle = openSqliteDatabase(file);
    handles.push(handle);
    await migrateToLatest(handle.db);
    await append(handle, 3000);
    const thread = startSearchIndexer({
      database: { kind: "sqlite", file },
      db: handle.db,
      logger: createSilentLogger(),
      intervalMs: 10,
    });
    try {
      const index = new AuditSearchIndex(handle.db);
      await index.catchUp({ batch: 50 });
      await append(handle, 500, 3000);
      // The thread picks up what is appended after, on its own.
      await expect
        .poll(() => index.status(), { timeout: 10_000 })
        .toEqual({ indexedThrough: 3500, size: 3500 });
    } finally {
      await thread.stop();
    }
    expect(await indexed(handle)).toEqual(Array.from({ length: 3500 }, (_, i) => i + 1));
  });
});

/** The URL of a PostgreSQL test database (for a second pool on it). */
async function urlOf(handle: DatabaseHandle): Promise<string> {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(handle.db);
  const base = await createPostgresDatabase();
  return base.replace(/\/[^/]+$/, `/${rows[0]?.name ?? ""}`);
}
