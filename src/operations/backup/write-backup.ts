import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import { sql, type Kysely, type Transaction } from "kysely";
import { SECRET_KEY_FILE } from "../../access/load-secret-key.ts";
import { AUDIT_SIGNING_KEY_FILE } from "../../audit/audit-signing-key.ts";
import type { Config } from "../../config/load-config.ts";
import { conflict, invalidInput } from "../../errors/domain-error.ts";
import { PRODUCT_VERSION } from "../../product-version.ts";
import type { BlobStore } from "../../storage/blobs/blob-store.ts";
import type { DatabaseHandle } from "../../storage/database/database-handle.ts";
import { migrations as knownMigrations } from "../../storage/database/migrations/migration-list.ts";
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  MANIFEST_MEMBER,
  type BackupFileName,
  type BackupManifest,
} from "./backup-manifest.ts";
import { appliedMigrations, listTables, type TableShape } from "./database-tables.ts";
import { TarWriter, type WrittenMember } from "./tar-writer.ts";

/** Columns whose values are blob addresses: the dists the backup must carry. */
const BLOB_COLUMNS: ReadonlySet<string> = new Set(["dist_sha256"]);
/** Rows are read in pages of this many, and a member holds up to about this many bytes. */
const PAGE_ROWS = 1000;
const MEMBER_BYTES = 8 * 1024 * 1024;

export type BackupProgress = (phase: "rows" | "blobs", done: number, total: number) => void;

export interface BackupOptions {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly blobs: BlobStore;
  readonly output: string;
  readonly now: Date;
  readonly progress?: BackupProgress;
}

export interface BackupSummary {
  readonly output: string;
  readonly bytes: number;
  readonly engine: BackupManifest["engine"];
  readonly createdAt: string;
  readonly migration: string;
  readonly tables: number;
  readonly rows: number;
  readonly blobs: number;
  readonly blobBytes: number;
  readonly files: readonly BackupFileName[];
}

/**
 * Writes one backup archive (docs/operations/backup-restore.md): a ustar file of the database's
 * rows, read in one snapshot (a read transaction on SQLite, REPEATABLE READ READ ONLY on
 * PostgreSQL), every blob those rows reference, the data directory's keys, and the manifest last.
 * It is written to `<output>.partial` (mode 0600: it holds the secret key) and renamed when
 * complete, so `output` is either absent, the previous file, or a whole archive.
 */
export async function writeBackup(options: BackupOptions): Promise<BackupSummary> {
  const { database, output } = options;
  const db = database.db as unknown as Kysely<unknown>;
  const migrations = await appliedMigrations(db, database.engine);
  if (migrations.length === 0) {
    throw conflict("BackupDatabaseEmpty", `the database (${database.description}) has never been migrated`);
  }
  const unknown = migrations.filter((name) => !(name in knownMigrations));
  if (unknown.length > 0) {
    throw conflict(
      "BackupDatabaseNewer",
      `the database has migrations this build (${PRODUCT_VERSION}) does not know: ${unknown.join(", ")}`,
    );
  }
  const partial = `${output}.partial`;
  const out = await openOutput(output, partial);
  try {
    const tar = new TarWriter(out, options.now);
    const members: WrittenMember[] = [];
    const referenced = new Set<string>();
    const tables = await snapshot(db, database.engine, async (trx) => {
      // Within the snapshot: the rows must fit the schema the manifest names.
      const current = await appliedMigrations(trx, database.engine);
      if (current.join("\n") !== migrations.join("\n")) {
        throw conflict(
          "BackupSchemaChanged",
          "the database was migrated while the backup began; run it again",
        );
      }
      return dumpTables(trx, database.engine, tar, members, referenced, options.progress);
    });
    const blobs = await copyBlobs(options.blobs, [...referenced].sort(), tar, members, options.progress);
    const files = await copyFiles(options.config, tar, members);
    const rows = tables.reduce((sum, table) => sum + table.rows, 0);
    const blobBytes = blobs.reduce((sum, blob) => sum + blob.size, 0);
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      product: { name: "PACKAGE.broker", version: PRODUCT_VERSION },
      createdAt: options.now.toISOString(),
      engine: database.engine,
      migrations,
      tables,
      blobs,
      files,
      members,
      counts: { tables: tables.length, rows, blobs: blobs.length, blobBytes, files: files.length },
    };
    const text = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
    await tar.add(MANIFEST_MEMBER, text.byteLength, text);
    await tar.finish();
    out.end();
    await once(out, "close");
    if (out.errored !== null) throw out.errored;
    await fsp.rename(partial, output);
    return {
      output,
      bytes: tar.bytes,
      engine: database.engine,
      createdAt: manifest.createdAt,
      migration: migrations.at(-1) ?? "",
      tables: tables.length,
      rows,
      blobs: blobs.length,
      blobBytes,
      files: files.map((file) => file.name),
    };
  } catch (error) {
    if (!out.closed) {
      // Let writes in flight finish (destroying now would fail them), then drop the file.
      const closed = new Promise<void>((resolve) => {
        out.once("close", () => {
          resolve();
        });
      });
      out.end();
      await closed;
    }
    await fsp.rm(partial, { force: true });
    throw error;
  }
}

async function openOutput(output: string, partial: string): Promise<fs.WriteStream> {
  const stat = await fsp.stat(output).catch(() => null);
  if (stat?.isDirectory() === true) {
    throw invalidInput("BackupOutputUnwritable", `cannot write ${output}: it is a directory`);
  }
  const out = fs.createWriteStream(partial, { flags: "w", mode: 0o600, flush: true });
  try {
    await once(out, "open");
  } catch (error) {
    throw invalidInput("BackupOutputUnwritable", `cannot write ${output}: ${(error as Error).message}`);
  }
  // A failed write is seen through `errored` (TarWriter, the end of writeBackup); without a
  // listener, the stream's "error" event would end the process.
  out.on("error", () => undefined);
  return out;
}

/** Runs `read` in one consistent snapshot of the database. */
async function snapshot<T>(
  db: Kysely<unknown>,
  engine: DatabaseHandle["engine"],
  read: (trx: Transaction<unknown>) => Promise<T>,
): Promise<T> {
  if (engine === "postgres") {
    return db.transaction().setIsolationLevel("repeatable read").setAccessMode("read only").execute(read);
  }
  // SQLite in WAL mode: a read transaction sees the database as of its first read, whatever
  // commits meanwhile.
  return db.transaction().execute(read);
}

async function dumpTables(
  trx: Transaction<unknown>,
  engine: DatabaseHandle["engine"],
  tar: TarWriter,
  members: WrittenMember[],
  referenced: Set<string>,
  progress: BackupProgress | undefined,
): Promise<BackupManifest["tables"]> {
  const shapes = await listTables(trx, engine);
  const counts = new Map<string, number>();
  for (const shape of shapes) {
    const { rows } = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.id(shape.name)}`.execute(trx);
    counts.set(shape.name, Number(rows[0]?.n ?? 0));
  }
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  let done = 0;
  progress?.("rows", done, total);
  const tables: BackupManifest["tables"] = [];
  for (const shape of shapes) {
    const tableMembers: string[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      const name = `database/${shape.name}/${String(tableMembers.length + 1).padStart(6, "0")}.jsonl`;
      const content = Buffer.concat(pending);
      members.push(await tar.add(name, content.byteLength, content));
      tableMembers.push(name);
      pending = [];
      pendingBytes = 0;
    };
    let rowCount = 0;
    let last: Record<string, unknown> | undefined;
    for (;;) {
      const page = await readPage(trx, shape, last, rowCount);
      last = page.at(-1);
      for (const row of page) {
        const line = Buffer.from(`${JSON.stringify(encodeRow(shape, row, referenced))}\n`, "utf8");
        pending.push(line);
        pendingBytes += line.byteLength;
        if (pendingBytes >= MEMBER_BYTES) await flush();
      }
      rowCount += page.length;
      done += page.length;
      progress?.("rows", done, Math.max(total, done));
      if (page.length < PAGE_ROWS) break;
    }
    if (pendingBytes > 0) await flush();
    tables.push({ name: shape.name, columns: [...shape.columns], rows: rowCount, members: tableMembers });
  }
  return tables;
}

/**
 * The next page of a table in key order: after the last key read (`after`) when the table has a
 * primary key, so that each page is an index range; by offset otherwise (small tables).
 */
async function readPage(
  trx: Transaction<unknown>,
  shape: TableShape,
  after: Record<string, unknown> | undefined,
  offset: number,
): Promise<Record<string, unknown>[]> {
  const columns = sql.join(shape.columns.map((column) => sql.id(column)));
  const key = sql.join(shape.orderBy.map((column) => sql.id(column)));
  const limit = sql.lit(PAGE_ROWS);
  if (shape.keyed) {
    const from =
      after === undefined
        ? sql``
        : sql`where (${key}) > (${sql.join(shape.orderBy.map((column) => after[column]))})`;
    const { rows } = await sql<Record<string, unknown>>`
      select ${columns} from ${sql.id(shape.name)} ${from} order by ${key} limit ${limit}`.execute(trx);
    return rows;
  }
  const { rows } = await sql<Record<string, unknown>>`
    select ${columns} from ${sql.id(shape.name)} order by ${key} limit ${limit} offset ${sql.lit(offset)}`.execute(
    trx,
  );
  return rows;
}

/** A row as one JSON array, in the manifest's column order; notes the blobs it references. */
function encodeRow(shape: TableShape, row: Record<string, unknown>, referenced: Set<string>): unknown[] {
  return shape.columns.map((column) => {
    const value = row[column];
    if (value === null || value === undefined) return null;
    if (typeof value === "bigint") return Number(value);
    if (typeof value !== "string" && typeof value !== "number") {
      throw new Error(`${shape.name}.${column} holds a ${typeof value}, which a backup cannot carry`);
    }
    if (BLOB_COLUMNS.has(column) && typeof value === "string") referenced.add(value);
    return value;
  });
}

async function copyBlobs(
  store: BlobStore,
  addresses: readonly string[],
  tar: TarWriter,
  members: WrittenMember[],
  progress: BackupProgress | undefined,
): Promise<BackupManifest["blobs"]> {
  const blobs: BackupManifest["blobs"] = [];
  const missing: string[] = [];
  progress?.("blobs", 0, addresses.length);
  for (const [index, sha256] of addresses.entries()) {
    const read = await store.get(sha256);
    if (read === null) {
      missing.push(sha256);
    } else {
      const name = `blobs/${sha256}`;
      const member = await tar.add(name, read.size, read.stream);
      if (member.sha256 !== sha256) {
        throw conflict("BackupBlobCorrupt", `the blob store's ${sha256} does not hash to its address`);
      }
      members.push(member);
      blobs.push({ sha256, size: member.size, member: name });
    }
    progress?.("blobs", index + 1, addresses.length);
  }
  if (missing.length > 0) {
    throw conflict(
      "BackupBlobMissing",
      `${missing.length} dist(s) the database references are missing from the blob store: ${missing
        .slice(0, 5)
        .join(", ")}${missing.length > 5 ? ", ..." : ""}`,
    );
  }
  return blobs;
}

/** The data directory's keys (unless configured in the environment) and SSH known hosts. */
async function copyFiles(
  config: Config,
  tar: TarWriter,
  members: WrittenMember[],
): Promise<BackupManifest["files"]> {
  const candidates: BackupFileName[] = [];
  if (config.secretKey === undefined) candidates.push(SECRET_KEY_FILE);
  if (config.audit.signingKey === undefined) candidates.push(AUDIT_SIGNING_KEY_FILE);
  candidates.push("known_hosts");
  const files: BackupManifest["files"] = [];
  for (const name of candidates) {
    const content = await fsp.readFile(path.join(config.dataDir, name)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    });
    if (content === null) continue;
    const member = `data/${name}`;
    members.push(await tar.add(member, content.byteLength, content));
    files.push({ name, member });
  }
  return files;
}
