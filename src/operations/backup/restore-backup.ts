import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { Readable } from "node:stream";
import { randomBytes } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import { Migrator } from "kysely/migration";
import type { Config } from "../../config/load-config.ts";
import { conflict } from "../../errors/domain-error.ts";
import type { BlobStore } from "../../storage/blobs/blob-store.ts";
import type { DatabaseHandle } from "../../storage/database/database-handle.ts";
import { migrations } from "../../storage/database/migrations/migration-list.ts";
import { openDatabase } from "../../storage/database/open-database.ts";
import type { BackupManifest } from "./backup-manifest.ts";
import { insertOrder, listTables } from "./database-tables.ts";
import type { CheckedArchive } from "./read-backup-archive.ts";
import { targetContents, wipeTarget } from "./restore-target.ts";

/** Parameters per INSERT statement: under SQLite's and PostgreSQL's limits. */
const MAX_PARAMETERS = 8000;

export type RestoreProgress = (phase: "rows" | "blobs", done: number, total: number) => void;

export interface RestoreOptions {
  readonly config: Config;
  readonly blobs: BlobStore;
  readonly archive: CheckedArchive;
  /** Replace a target that is not empty. */
  readonly force: boolean;
  readonly progress?: RestoreProgress;
}

export interface RestoreOutcome {
  /** What the target held before (`--force` replaced it); empty for an empty target. */
  readonly replaced: readonly string[];
  readonly tables: number;
  /** Rows inserted, each table's count checked against the manifest. */
  readonly rows: number;
  readonly blobs: number;
  readonly files: readonly string[];
}

/**
 * Restores a checked archive into the configured database, blob store and data directory: the
 * target must be empty unless `force` (then it is wiped first); the schema is migrated up to the
 * backup's, the rows are inserted in one transaction (parents before children) and counted, the
 * blobs are stored (each store checks its address), and the keys are written (mode 0600). The
 * caller then opens the runtime, which runs the migrations that came after the backup's.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreOutcome> {
  const { config, archive } = options;
  const { manifest } = archive;
  let handle = openDatabase(config.database);
  try {
    const found = await targetContents(handle, config, manifest, (member) => readMember(archive, member));
    if (found.length > 0 && !options.force) {
      throw conflict(
        "RestoreTargetNotEmpty",
        `the target is not empty (${found.slice(0, 3).join("; ")}${found.length > 3 ? "; ..." : ""}); ` +
          "restore into an empty database and data directory, or pass --force to replace what is there",
      );
    }
    if (options.force) handle = await wipeTarget(handle, config);
    await migrateTo(handle, manifest.migrations.at(-1) ?? "");
    const rows = await loadRows(handle, archive, options.progress);
    const blobs = await storeBlobs(options.blobs, archive, options.progress);
    const files = await writeFiles(config, archive);
    return { replaced: found, tables: manifest.tables.length, rows, blobs, files };
  } finally {
    await handle.close();
  }
}

async function migrateTo(handle: DatabaseHandle, name: string): Promise<void> {
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: "schema_migrations",
    migrationLockTableName: "schema_migrations_lock",
  });
  const { error, results = [] } = await migrator.migrateTo(name);
  if (error !== undefined) {
    const failed = results.find((result) => result.status === "Error")?.migrationName ?? "(unknown)";
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`Database migration ${failed} failed: ${reason}`, { cause: error });
  }
}

async function loadRows(
  handle: DatabaseHandle,
  archive: CheckedArchive,
  progress: RestoreProgress | undefined,
): Promise<number> {
  const { manifest } = archive;
  const db = handle.db as unknown as Kysely<unknown>;
  const total = manifest.counts.rows;
  let done = 0;
  progress?.("rows", 0, total);
  await db.transaction().execute(async (trx) => {
    if (handle.engine === "sqlite") await sql`pragma defer_foreign_keys = on`.execute(trx);
    const shapes = new Map((await listTables(trx, handle.engine)).map((shape) => [shape.name, shape]));
    const wanted = manifest.tables.map((table) => {
      const shape = shapes.get(table.name);
      if (shape === undefined)
        throw conflict("RestoreSchemaMismatch", `the target has no table ${table.name}`);
      const missing = table.columns.filter((column) => !shape.columns.includes(column));
      if (missing.length > 0) {
        throw conflict(
          "RestoreSchemaMismatch",
          `table ${table.name} of the target lacks ${missing.join(", ")}`,
        );
      }
      return shape;
    });
    for (const shape of insertOrder(wanted)) {
      const table = manifest.tables.find((entry) => entry.name === shape.name);
      if (table === undefined) continue;
      await sql`delete from ${sql.id(table.name)}`.execute(trx);
      const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / table.columns.length));
      let batch: unknown[][] = [];
      for (const member of table.members) {
        for await (const row of readRows(archive, member, table.columns.length)) {
          batch.push(row);
          if (batch.length >= perStatement) {
            await insertRows(trx, table, batch);
            done += batch.length;
            progress?.("rows", done, total);
            batch = [];
          }
        }
      }
      if (batch.length > 0) await insertRows(trx, table, batch);
      done += batch.length;
      progress?.("rows", done, total);
      const { rows } = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.id(table.name)}`.execute(trx);
      if (Number(rows[0]?.n ?? 0) !== table.rows) {
        throw conflict(
          "RestoreCountMismatch",
          `table ${table.name} holds ${String(rows[0]?.n)} rows, not ${table.rows}`,
        );
      }
    }
    await releaseLeases(trx, shapes);
  });
  return done;
}

/**
 * The leases in a backup belong to the processes that held them when it was taken, none of which
 * runs on the restored data: they are freed, so the restored server runs its jobs and syncs at once
 * instead of after their expiry, and a sync caught running is marked interrupted.
 */
async function releaseLeases(trx: Kysely<unknown>, shapes: ReadonlyMap<string, unknown>): Promise<void> {
  if (shapes.has("job_leases"))
    await sql`update job_leases set holder = null, lease_until = null`.execute(trx);
  if (shapes.has("repositories")) await sql`update repositories set sync_lease_until = null`.execute(trx);
  if (shapes.has("sync_runs")) {
    await sql`update sync_runs set status = 'interrupted', error = 'the sync was running when the backup was taken'
      where status = 'running'`.execute(trx);
  }
}

async function insertRows(
  trx: Transaction<unknown>,
  table: BackupManifest["tables"][number],
  rows: readonly unknown[][],
): Promise<void> {
  const columns = sql.join(table.columns.map((column) => sql.id(column)));
  const values = sql.join(rows.map((row) => sql`(${sql.join(row)})`));
  await sql`insert into ${sql.id(table.name)} (${columns}) values ${values}`.execute(trx);
}

async function* readRows(archive: CheckedArchive, member: string, width: number): AsyncGenerator<unknown[]> {
  const lines = readline.createInterface({ input: memberStream(archive, member), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line === "") continue;
    const row = parseLine(line);
    const valid =
      Array.isArray(row) &&
      row.length === width &&
      row.every((value) => value === null || typeof value === "string" || typeof value === "number");
    if (!valid)
      throw conflict("RestoreRowInvalid", `${member} line ${number} is not a row of ${width} values`);
    yield row;
  }
}

/** The JSON of a line; undefined when it is not JSON. */
function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

async function storeBlobs(
  store: BlobStore,
  archive: CheckedArchive,
  progress: RestoreProgress | undefined,
): Promise<number> {
  const { blobs } = archive.manifest;
  progress?.("blobs", 0, blobs.length);
  for (const [index, blob] of blobs.entries()) {
    const stored = await store.put(memberStream(archive, blob.member));
    if (stored.sha256 !== blob.sha256) {
      throw conflict("RestoreBlobMismatch", `blob ${blob.sha256} was stored as ${stored.sha256}`);
    }
    progress?.("blobs", index + 1, blobs.length);
  }
  return blobs.length;
}

async function writeFiles(config: Config, archive: CheckedArchive): Promise<string[]> {
  const written: string[] = [];
  if (archive.manifest.files.length === 0) return written;
  await fsp.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  for (const file of archive.manifest.files) {
    const target = path.join(config.dataDir, file.name);
    const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    await fsp.writeFile(temporary, await readMember(archive, file.member), { mode: 0o600, flag: "wx" });
    await fsp.rename(temporary, target);
    written.push(file.name);
  }
  return written;
}

function memberStream(archive: CheckedArchive, member: string): Readable {
  const location = archive.members.get(member);
  if (location === undefined) throw conflict("RestoreMemberMissing", `the archive has no ${member}`);
  if (location.size === 0) return Readable.from([]);
  // `end` is inclusive.
  return fs.createReadStream(archive.file, {
    start: location.offset,
    end: location.offset + location.size - 1,
  });
}

async function readMember(archive: CheckedArchive, member: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of memberStream(archive, member)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
