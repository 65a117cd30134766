/**
 * Where an audit append's CPU goes: `node bench/audit-append/breakdown.ts [batch=256] [seconds=2]`.
 *
 * Times each stage of a group commit of `batch` events in isolation, as CPU time per event
 * (process.cpuUsage, so a busy machine slows the run but barely changes the numbers): the work
 * AuditLog's buildRows does (event id, canonical JSON, leaf hash, Merkle append, row mapping),
 * the INSERT as Kysely runs it on SQLite (compile, prepare, run of one multi-row statement), the
 * database's own cost of the same transaction without Kysely, and the whole AuditRecords.append
 * transaction; beside them the cheaper alternatives the numbers suggest. SQLite on a file in a
 * temp dir, opened by openSqliteDatabase (WAL, its synchronous setting, its statement cache); the
 * copies without Kysely get the same synchronous setting.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { ulid } from "ulid";
import { AUDIT_SCHEMA_VERSION, type AuditEvent } from "../../src/audit/audit-event.ts";
import { eventToRow } from "../../src/audit/audit-row.ts";
import { canonicalJson } from "../../src/audit/integrity/canonical-json.ts";
import { leafHash, leafHashHex, MerkleAccumulator } from "../../src/audit/integrity/merkle.ts";
import { AuditRecords, type NewAuditRow } from "../../src/storage/database/audit-records.ts";
import { migrateToLatest } from "../../src/storage/database/migrate-to-latest.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { newId, pooledRandom } from "../../src/ids/new-id.ts";
import { textTable } from "../metadata-throughput/report.ts";

const batch = Number(process.argv[2] ?? 256);
const seconds = Number(process.argv[3] ?? 2);

/** Runs `work` (one batch) for about `seconds` of CPU; returns CPU µs per event. */
function cpuPerEvent(work: () => void): number {
  for (let i = 0; i < 20; i++) work(); // warm-up: JIT
  const before = process.cpuUsage();
  let batches = 0;
  let used = 0;
  while (used < seconds * 1e6) {
    work();
    batches++;
    const now = process.cpuUsage(before);
    used = now.user + now.system;
  }
  return used / (batches * batch);
}

async function cpuPerEventAsync(work: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 20; i++) await work();
  const before = process.cpuUsage();
  let batches = 0;
  let used = 0;
  while (used < seconds * 1e6) {
    await work();
    batches++;
    const now = process.cpuUsage(before);
    used = now.user + now.system;
  }
  return used / (batches * batch);
}

function event(n: number, id: string): AuditEvent {
  return {
    schema_version: AUDIT_SCHEMA_VERSION,
    id,
    seq: n + 1,
    timestamp: new Date(1_790_000_000_000 + n).toISOString(),
    event: "package_access",
    action: "download",
    severity: "info",
    outcome: "success",
    user: "tok_0003f3a9c2e1",
    actor: { type: "token", id: "tok_0003f3a9c2e1", auth_method: "bearer" },
    ip_address: `203.0.113.${n % 250}`,
    user_agent: "Composer/2.8.4 (Linux; 6.1.0; PHP 8.3.9; cURL 7.88.1; Platform-PHP 8.3.9)",
    request_id: `req_01JDQ${String(n).padStart(21, "0")}`,
    target: { type: "package", name: `acme/package-${n % 50}`, version: "1.4.2" },
    details: { status: 200, reference: "8f3c1a9e0b7d4c2f6a5e9d8c7b6a5f4e3d2c1b0a" },
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-breakdown-"));
try {
  const ids = Array.from({ length: batch }, () => ulid());
  const events = ids.map((id, n) => event(n, id));
  const canonical = events.map((e) => canonicalJson(e));
  const leaves = canonical.map((text) => leafHash(Buffer.from(text, "utf8")));
  const leafHex = leaves.map((leaf) => leaf.toString("hex"));
  const rows = events.map((e, i) => eventToRow(e, leafHex[i] ?? ""));
  let sink = 0;

  const results: [string, number, string][] = [];
  const stage = (name: string, us: number, note = ""): void => {
    results.push([name, us, note]);
    process.stderr.write(`[breakdown] ${name}: ${us.toFixed(2)} µs/event\n`);
  };

  stage(
    "newId() (ulid, pooled randomness)",
    cpuPerEvent(() => {
      for (let i = 0; i < batch; i++) sink += newId().length;
    }),
    "buildRows since 5dc961c",
  );
  stage(
    "ulid() with the package's default PRNG",
    cpuPerEvent(() => {
      for (let i = 0; i < batch; i++) sink += ulid().length;
    }),
    "before 5dc961c: 16 getRandomValues per id",
  );
  stage(
    "ulid(now, pooledRandom), one Date.now() per batch",
    cpuPerEvent(() => {
      const now = Date.now();
      for (let i = 0; i < batch; i++) sink += ulid(now, pooledRandom).length;
    }),
    "alternative",
  );
  stage(
    "canonicalJson(event)",
    cpuPerEvent(() => {
      for (const e of events) sink += canonicalJson(e).length;
    }),
  );
  stage(
    "leafHash(Buffer.from(json)).toString('hex')",
    cpuPerEvent(() => {
      for (const text of canonical) sink += leafHash(Buffer.from(text, "utf8")).toString("hex").length;
    }),
    "what buildRows does",
  );
  stage(
    "leafHashHex(json)",
    cpuPerEvent(() => {
      for (const text of canonical) sink += leafHashHex(text).length;
    }),
    "alternative (the verifier's path)",
  );
  stage(
    "MerkleAccumulator.append(Buffer)",
    cpuPerEvent(() => {
      const tree = new MerkleAccumulator();
      for (const leaf of leaves) tree.append(leaf);
      sink += tree.size;
    }),
  );
  stage(
    "MerkleAccumulator.appendHex(hex)",
    cpuPerEvent(() => {
      const tree = new MerkleAccumulator();
      for (const leaf of leafHex) tree.appendHex(leaf);
      sink += tree.size;
    }),
    "alternative",
  );
  stage(
    "eventToRow (3 JSON.stringify)",
    cpuPerEvent(() => {
      events.forEach((e, i) => {
        sink += (eventToRow(e, leafHex[i] ?? "").details ?? "").length;
      });
    }),
  );

  // The database: a migrated file, as the server opens it.
  const handle = openSqliteDatabase(path.join(tmp, "kysely.sqlite"));
  await migrateToLatest(handle.db);
  const { rows: pragma } = await sql<{ synchronous: number }>`pragma synchronous`.execute(handle.db);
  const synchronous = pragma[0]?.synchronous ?? 2;
  let seq = 0;
  const renumber = (): NewAuditRow[] =>
    rows.map((row) => {
      seq++;
      return { ...row, seq, id: `${row.id.slice(0, 16)}${String(seq).padStart(10, "0")}` };
    });
  const compiled = handle.db.insertInto("audit_logs").values(rows).compile();
  stage(
    "Kysely: compile the multi-row INSERT",
    cpuPerEvent(() => {
      sink += handle.db.insertInto("audit_logs").values(rows).compile().parameters.length;
    }),
    `${compiled.parameters.length} parameters`,
  );

  // The same tables, indexes and triggers, copied from the migrated database, without Kysely.
  const migrated = new BetterSqlite3(path.join(tmp, "kysely.sqlite"), { readonly: true });
  const schema = migrated
    .prepare(
      "select type, sql from sqlite_master where sql is not null and name like 'audit%' order by rowid",
    )
    .all() as { type: string; sql: string }[];
  migrated.close();
  const rawDatabase = (file: string, indexes: boolean): BetterSqlite3.Database => {
    const db = new BetterSqlite3(path.join(tmp, file));
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous}`);
    for (const { type, sql } of schema) if (indexes || type !== "index") db.exec(sql);
    db.exec("insert into audit_state (id, size, frontier) values (1, 0, '[]')");
    return db;
  };
  const raw = rawDatabase("raw.sqlite", true);
  stage(
    "better-sqlite3 prepare() of that INSERT",
    cpuPerEvent(() => {
      sink += raw.prepare(compiled.sql).readonly ? 0 : 1;
    }),
    "once per SQL text with the statement cache",
  );
  const columns = Object.keys(rows[0] ?? {});
  const insertOne = raw.prepare(
    `insert into audit_logs (${columns.map((c) => `"${c}"`).join(", ")}) values (${columns.map((c) => `@${c}`).join(", ")})`,
  );
  const updateState = raw.prepare("update audit_state set size = ?, frontier = ? where id = 1");
  let rawSeq = 0;
  const rawRows = (): NewAuditRow[] =>
    rows.map((row) => {
      rawSeq++;
      return { ...row, seq: rawSeq, id: `${row.id.slice(0, 16)}${String(rawSeq).padStart(10, "0")}` };
    });
  const multi = raw.prepare(compiled.sql);
  stage(
    "SQLite: begin + multi-row INSERT (prepared once) + commit",
    cpuPerEvent(() => {
      const fresh = rawRows();
      const params = fresh.flatMap((row) => columns.map((c) => row[c as keyof NewAuditRow]));
      raw.exec("begin immediate");
      multi.run(params);
      updateState.run(rawSeq, "[]");
      raw.exec("commit");
    }),
    "the database's own cost",
  );
  stage(
    "SQLite: begin + cached one-row INSERT x batch + commit",
    cpuPerEvent(() => {
      const fresh = rawRows();
      raw.exec("begin immediate");
      for (const row of fresh) insertOne.run(row);
      updateState.run(rawSeq, "[]");
      raw.exec("commit");
    }),
    "alternative",
  );
  const bare = rawDatabase("bare.sqlite", false);
  const bareInsert = bare.prepare(insertOne.source);
  const bareState = bare.prepare(updateState.source);
  stage(
    "  the same without the secondary indexes",
    cpuPerEvent(() => {
      const fresh = rawRows();
      bare.exec("begin immediate");
      for (const row of fresh) bareInsert.run(row);
      bareState.run(rawSeq, "[]");
      bare.exec("commit");
    }),
    schema
      .map(({ sql }) => /^create (?:unique )?index "?(\w+)"? on "?audit_logs"?/i.exec(sql)?.[1])
      .filter((name) => name !== undefined)
      .join(", ") || "audit_logs has none since migration 0006 (its id's unique autoindex stays)",
  );
  bare.close();
  // What the statement cache ends up holding when commits come in every batch size (1..500 rows).
  const rssBefore = process.memoryUsage().rss;
  const kept: BetterSqlite3.Statement[] = [];
  const first = rows[0]!;
  for (let n = 1; n <= 500; n++) {
    const values = Array.from({ length: n }, () => first);
    kept.push(raw.prepare(handle.db.insertInto("audit_logs").values(values).compile().sql));
  }
  const statementMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  sink += kept.length;
  const records = new AuditRecords(handle.db);
  stage(
    "AuditRecords.append (Kysely, rows prebuilt)",
    await cpuPerEventAsync(async () => {
      const fresh = renumber();
      await records.append((state) => ({
        rows: fresh,
        state: { size: state.size + fresh.length, frontier: [] },
      }));
    }),
    "what AuditLog runs per commit",
  );
  raw.close();
  await handle.close();

  const total = (names: string[]): number =>
    results.filter(([name]) => names.includes(name)).reduce((sum, [, us]) => sum + us, 0);
  const current = total([
    "newId() (ulid, pooled randomness)",
    "canonicalJson(event)",
    "leafHash(Buffer.from(json)).toString('hex')",
    "MerkleAccumulator.append(Buffer)",
    "eventToRow (3 JSON.stringify)",
    "AuditRecords.append (Kysely, rows prebuilt)",
  ]);
  const mode = ["OFF", "NORMAL", "FULL", "EXTRA"][synchronous] ?? String(synchronous);
  process.stdout.write(
    `\nCPU per event, batches of ${batch}, synchronous=${mode} ` +
      `(node ${process.version}, ${os.cpus()[0]?.model.trim() ?? "?"}):\n\n` +
      textTable([
        ["stage", "µs/event", "note"],
        ...results.map(([name, us, note]) => [name, us.toFixed(2), note]),
      ]) +
      `\n\nbuildRows + AuditRecords.append as they are: ${current.toFixed(1)} µs/event, ` +
      `at most ${Math.round(1e6 / current).toLocaleString("en-US")} events per CPU-second\n` +
      `Prepared multi-row audit INSERTs for every batch size 1..500 (what the statement cache can fill with): ` +
      `RSS +${statementMiB.toFixed(0)} MiB\n`,
  );
  if (sink === 0) process.stdout.write("\n");
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
