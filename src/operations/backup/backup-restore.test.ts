import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packageZip } from "../../../test/builders/test-runtime.ts";
import { runCliCaptured } from "../../../test/support/run-cli-captured.ts";
import { startS3Server, type S3TestServer } from "../../../test/support/s3-server.ts";
import { createPostgresDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { migrateTo } from "../../../test/support/migrate-to.ts";
import { createAccessGrant } from "../../access/access-grant.ts";
import { consoleContext } from "../../audit/audit-event.ts";
import { auditTrail } from "../../audit/audit-trail.ts";
import { loadConfig } from "../../config/load-config.ts";
import { createLogger } from "../../observability/logger.ts";
import { openRuntime } from "../../runtime.ts";
import { migrateToLatest } from "../../storage/database/migrate-to-latest.ts";
import { migrations } from "../../storage/database/migrations/migration-list.ts";
import { openDatabase } from "../../storage/database/open-database.ts";
import { MANIFEST_MEMBER, type BackupManifest } from "./backup-manifest.ts";
import { listTables } from "./database-tables.ts";
import { readBackupArchive } from "./read-backup-archive.ts";
import { TarWriter } from "./tar-writer.ts";

type Env = Record<string, string>;

const consoleGrant = createAccessGrant({
  tokenId: "console",
  fingerprint: "console",
  scopes: ["admin"],
  packagePatterns: [],
});

let root: string;
/** A Composer repository with no packages: what `repo add --type composer` checks. */
let upstream: http.Server;
let upstreamUrl: string;
const cli = (args: readonly string[], env: Env, isTerminal = false) =>
  runCliCaptured(args, { PB_ALLOW_PRIVATE_SOURCES: "true", ...env }, { isTerminal });

/** Fills a broker through the CLI: uploads, a repository with credentials, tokens, a checkpoint. */
async function seed(env: Env, tag: string): Promise<void> {
  for (const version of ["1.0.0", "1.1.0"]) {
    const file = path.join(root, `${tag}-widget-${version}.zip`);
    fs.writeFileSync(
      file,
      packageZip("acme/widget", version, { composer: { description: `Widget ${tag}` } }),
    );
    const run = await cli(["package", "upload", file], env);
    expect(run.code, run.stderr).toBe(0);
  }
  const steps: string[][] = [
    [
      "repo",
      "add",
      "--type",
      "composer",
      "--url",
      upstreamUrl,
      "--name",
      `up-${tag}`,
      "--credentials",
      "bot:s3cret",
    ],
    ["token", "create", "--description", `ci ${tag}`, "--scope", "read"],
    ["token", "create", "--description", `deploy ${tag}`, "--scope", "write", "--packages", "acme/*"],
    ["user", "create", "--email", `ops-${tag}@example.test`, "--role", "admin", "--name", `Ops ${tag}`],
    ["audit", "checkpoint"],
  ];
  for (const args of steps) {
    const run = await cli(args, env);
    expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
  }
}

/** Every saved table's rows, as one comparable value. */
/**
 * Every table's rows, but the events that a backup and a restore record themselves (after the
 * snapshot, and after the restore) and the log's state they move: those are what differs.
 */
async function contents(env: Env): Promise<Record<string, unknown[]>> {
  const config = loadConfig(env);
  const handle = openDatabase(config.database);
  try {
    const db = handle.db as unknown as Kysely<unknown>;
    const result: Record<string, unknown[]> = {};
    for (const table of await listTables(db, handle.engine)) {
      if (table.name === "audit_state") continue;
      const columns = sql.join(table.columns.map((column) => sql.id(column)));
      const order = sql.join(table.orderBy.map((column) => sql.id(column)));
      const own =
        table.name === "audit_logs" ? sql`where action not in ('backup_created', 'restored')` : sql``;
      const { rows } =
        await sql`select ${columns} from ${sql.id(table.name)} ${own} order by ${order}`.execute(db);
      result[table.name] = rows;
    }
    return result;
  } finally {
    await handle.close();
  }
}

async function backup(env: Env, file: string): Promise<BackupManifest> {
  const run = await cli(["backup", "--output", file, "--json"], env);
  expect(run.code, run.stderr).toBe(0);
  return (await readBackupArchive(file)).manifest;
}

interface RestoreJson {
  verification: {
    ok: boolean;
    audit: { ok: boolean; size: number };
    blobs: { checked: number };
    dists: { referenced: number; missing: string[] };
  };
  restored: { rows: number; replaced: string[] };
}

async function restore(env: Env, file: string, extra: string[] = []): Promise<RestoreJson> {
  const run = await cli(["restore", file, "--json", ...extra], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as RestoreJson;
}

/** Copies an archive member by member, letting `edit` drop or change members and the manifest. */
async function rewrite(
  from: string,
  to: string,
  edit: {
    skip?: (name: string) => boolean;
    /** New bytes for a member; the manifest's size and SHA-256 follow, as a forger would do. */
    content?: (name: string, bytes: Buffer) => Buffer;
    manifest?: (manifest: BackupManifest) => BackupManifest;
  },
): Promise<void> {
  const archive = await readBackupArchive(from);
  const out = fs.createWriteStream(to);
  const tar = new TarWriter(out, new Date());
  const bytes = fs.readFileSync(from);
  const written = new Map<string, { size: number; sha256: string }>();
  for (const [name, { offset, size }] of archive.members) {
    if (name === MANIFEST_MEMBER || edit.skip?.(name) === true) continue;
    const original = bytes.subarray(offset, offset + size);
    const content = edit.content?.(name, original) ?? original;
    written.set(name, await tar.add(name, content.byteLength, content));
  }
  const edited = (edit.manifest ?? ((m) => m))({
    ...archive.manifest,
    members: archive.manifest.members.map((member) => ({ ...member, ...written.get(member.name) })),
  });
  const manifest = Buffer.from(JSON.stringify(edited));
  await tar.add(MANIFEST_MEMBER, manifest.byteLength, manifest);
  await tar.finish();
  out.end();
  await new Promise<void>((resolve) => {
    out.on("close", () => {
      resolve();
    });
  });
}

/**
 * Backs up while a runtime keeps appending audit events and uploading packages, then restores:
 * the snapshot must be one moment (the log's tree state matches its rows, every dist is there).
 */
async function backupWhileWriting(source: Env, target: Env, file: string): Promise<void> {
  const logger = createLogger({ level: "silent", destination: { write: () => undefined } });
  const runtime = await openRuntime(loadConfig(source), logger);
  const control = { writing: true };
  let written = 0;
  const trail = auditTrail(runtime.audit.log, consoleContext);
  const writer = (async () => {
    while (control.writing) {
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          trail.record({
            event: "package",
            action: "uploaded",
            outcome: "success",
            target: { type: "package", name: "acme/busy", version: `1.0.${written + index}` },
          }),
        ),
      );
      await runtime.packages.upload(packageZip("acme/busy", `2.0.${written}`), consoleGrant, trail);
      written += 20;
    }
  })();
  try {
    // Enough rows that the backup reads several pages while the writer goes on.
    while (written < 1200) await new Promise((resolve) => setTimeout(resolve, 10));
    const run = await cli(["backup", "--output", file, "--json"], source);
    expect(run.code, run.stderr).toBe(0);
  } finally {
    control.writing = false;
    await writer;
    await runtime.close();
  }
  const result = await restore(target, file);
  expect(result.verification.ok).toBe(true);
  const handle = openDatabase(loadConfig(target).database);
  try {
    const db = handle.db;
    const state = await db.selectFrom("audit_state").select("size").executeTakeFirstOrThrow();
    const { n } = await db
      .selectFrom("audit_logs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(state.size).toBe(n);
  } finally {
    await handle.close();
  }
  // The restored log goes on: a new event and a checkpoint, and it still verifies.
  expect((await cli(["audit", "checkpoint"], target)).code).toBe(0);
  expect((await cli(["audit", "verify"], target)).code).toBe(0);
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-backup-"));
  upstream = http.createServer((_, response) => {
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ packages: {}, "metadata-url": "/p2/%package%.json" }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => {
    upstream.close(() => {
      resolve();
    });
  });
  fs.rmSync(root, { recursive: true, force: true });
});

describe("backup and restore on SQLite and the file system", () => {
  let source: Env;
  let archive: string;

  beforeAll(async () => {
    source = { PB_DATA_DIR: path.join(root, "source"), PB_BASE_URL: "http://broker.test" };
    await seed(source, "sqlite");
    archive = path.join(root, "sqlite.tar");
  });

  it("writes one tar archive (mode 0600) with the rows, the dists, the keys and the manifest last", async () => {
    const run = await cli(["backup", "--output", archive, "--json"], source);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      rows: number;
      blobs: number;
      files: string[];
      engine: string;
    };
    expect(summary).toMatchObject({ engine: "sqlite", blobs: 2, files: ["secret.key", "audit-signing.key"] });
    expect(fs.statSync(archive).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(root).filter((name) => name.endsWith(".partial"))).toEqual([]);
    // Any tar reads it.
    const listed = execFileSync("tar", ["-tf", archive], { encoding: "utf8" }).trimEnd().split("\n");
    expect(listed.at(-1)).toBe(MANIFEST_MEMBER);
    expect(listed).toContain("data/secret.key");
    expect(listed.filter((name) => name.startsWith("blobs/"))).toHaveLength(2);
    const { manifest } = await readBackupArchive(archive);
    expect(manifest.counts.rows).toBe(summary.rows);
    expect(manifest.tables.map((table) => table.name)).toContain("audit_logs");
    expect(manifest.tables.map((table) => table.name)).not.toContain("schema_migrations");
    expect(manifest.members).toHaveLength(listed.length - 1);
  });

  it("shows progress on a terminal and a summary otherwise", async () => {
    const file = path.join(root, "progress.tar");
    const run = await cli(["backup", "--output", file], source, true);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\d+\/\d+ rows/);
    expect(run.stderr).toMatch(/\d+\/\d+ blobs/);
    expect(run.stdout).toMatch(/^Backed up to .*progress\.tar/);
    expect(run.stdout).toMatch(/Blobs: 2 dists/);
  });

  it("restores into an empty data directory: the same rows, the dists, and a log that verifies", async () => {
    const target = { PB_DATA_DIR: path.join(root, "restored"), PB_BASE_URL: "http://broker.test" };
    const before = await contents(source);
    const result = await restore(target, archive);
    expect(result.verification).toMatchObject({
      ok: true,
      audit: { ok: true },
      blobs: { checked: 2 },
      dists: { referenced: 2, missing: [] },
    });
    expect(await contents(target)).toEqual(before);
    // The keys come along: the stored credentials decrypt, and the checkpoints verify, as before.
    for (const key of ["secret.key", "audit-signing.key"]) {
      const restored = path.join(target.PB_DATA_DIR, key);
      expect(fs.readFileSync(restored)).toEqual(fs.readFileSync(path.join(source.PB_DATA_DIR ?? "", key)));
      expect(fs.statSync(restored).mode & 0o777).toBe(0o600);
    }
    // Both ends are in the audit log: who took the backup, and where the restored history came from.
    const lastEvent = async (env: Env, action: string) => {
      const handle = openDatabase(loadConfig(env).database);
      try {
        return await handle.db
          .selectFrom("audit_logs")
          .select(["seq", "event", "details", "target"])
          .where("action", "=", action)
          .orderBy("seq", "desc")
          .executeTakeFirst();
      } finally {
        await handle.close();
      }
    };
    const taken = await lastEvent(source, "backup_created");
    expect(taken?.event).toBe("audit");
    expect(JSON.parse(taken?.target ?? "{}")).toMatchObject({ type: "backup" });
    const restoredEvent = await lastEvent(target, "restored");
    expect(restoredEvent?.event).toBe("system");
    expect(JSON.parse(restoredEvent?.target ?? "{}")).toMatchObject({ type: "backup" });
    expect(JSON.parse(restoredEvent?.details ?? "{}")).toMatchObject({ verified: true, engine: "sqlite" });
    const verify = await cli(["audit", "verify"], target);
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/Latest matching checkpoint/);
    const packages = await cli(["package", "show", "acme/widget", "--json"], target);
    expect(packages.code, packages.stderr).toBe(0);
    expect(packages.stdout).toContain("1.1.0");
  });

  it("takes one consistent snapshot while the broker keeps writing", async () => {
    const busy = { PB_DATA_DIR: path.join(root, "busy-source"), PB_BASE_URL: "http://broker.test" };
    const target = { PB_DATA_DIR: path.join(root, "busy-restored"), PB_BASE_URL: "http://broker.test" };
    await backupWhileWriting(busy, target, path.join(root, "busy.tar"));
  });

  it("frees the job and sync leases the backed-up processes held, and marks their syncs interrupted", async () => {
    const leased = { PB_DATA_DIR: path.join(root, "leased-source"), PB_BASE_URL: "http://broker.test" };
    const target = { PB_DATA_DIR: path.join(root, "leased-restored"), PB_BASE_URL: "http://broker.test" };
    fs.cpSync(source.PB_DATA_DIR ?? "", leased.PB_DATA_DIR, { recursive: true });
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const handle = openDatabase(loadConfig(leased).database);
    try {
      const db = handle.db;
      await db
        .insertInto("job_leases")
        .values({ name: "audit.checkpoints", holder: "node-a:1:00000000", lease_until: until })
        .onConflict((oc) =>
          oc.column("name").doUpdateSet({ holder: "node-a:1:00000000", lease_until: until }),
        )
        .execute();
      const repository = await db.selectFrom("repositories").select("id").executeTakeFirstOrThrow();
      await db.updateTable("repositories").set({ sync_lease_until: until }).execute();
      await db
        .insertInto("sync_runs")
        .values({
          id: "01JNB5Q0000000000000000000",
          repository_id: repository.id,
          status: "running",
          started_at: new Date().toISOString(),
          finished_at: null,
          versions_added: 0,
          versions_removed: 0,
          refs_skipped: 0,
          details: "{}",
          error: null,
        })
        .execute();
    } finally {
      await handle.close();
    }
    const file = path.join(root, "leased.tar");
    expect((await cli(["backup", "--output", file], leased)).code).toBe(0);
    expect((await restore(target, file)).verification.ok).toBe(true);
    const restored = openDatabase(loadConfig(target).database);
    try {
      const db = restored.db;
      expect(await db.selectFrom("job_leases").select(["holder", "lease_until"]).execute()).toEqual(
        expect.arrayContaining([{ holder: null, lease_until: null }]),
      );
      expect(await db.selectFrom("job_leases").where("holder", "is not", null).selectAll().execute()).toEqual(
        [],
      );
      expect(
        await db.selectFrom("repositories").where("sync_lease_until", "is not", null).selectAll().execute(),
      ).toEqual([]);
      const run = await db
        .selectFrom("sync_runs")
        .selectAll()
        .where("id", "=", "01JNB5Q0000000000000000000")
        .executeTakeFirstOrThrow();
      expect(run.status).toBe("interrupted");
    } finally {
      await restored.close();
    }
  });

  it("restores a backup of an older schema, then runs the later migrations", async () => {
    const older = { PB_DATA_DIR: path.join(root, "older"), PB_BASE_URL: "http://broker.test" };
    const names = Object.keys(migrations);
    const previous = names.at(-2) ?? "";
    const handle = openDatabase(loadConfig(older).database);
    try {
      await migrateTo(handle.db, previous);
      await handle.db
        .insertInto("packages")
        .values({
          name: "acme/old",
          created_at: "2026-01-01T00:00:00.000Z",
          updated_at: "2026-01-01T00:00:00.000Z",
        })
        .execute();
    } finally {
      await handle.close();
    }
    const file = path.join(root, "older.tar");
    const manifest = await backup(older, file);
    expect(manifest.migrations.at(-1)).toBe(previous);
    const target = { PB_DATA_DIR: path.join(root, "older-restored"), PB_BASE_URL: "http://broker.test" };
    const run = await cli(["restore", file], target);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Migrations after the restore: ${names.at(-1) ?? ""}`);
    expect((await contents(target)).packages).toEqual([expect.objectContaining({ name: "acme/old" })]);
    expect((await cli(["audit", "verify"], target)).code).toBe(0);

    // A target already at a later schema cannot take it without starting over (--force).
    const ahead = { PB_DATA_DIR: path.join(root, "older-ahead"), PB_BASE_URL: "http://broker.test" };
    const migrated = openDatabase(loadConfig(ahead).database);
    await migrateToLatest(migrated.db).finally(() => migrated.close());
    const refused = await cli(["restore", file], ahead);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/migration\(s\) the backup predates: .*--force/);
    expect((await restore(ahead, file, ["--force"])).verification.ok).toBe(true);
  });

  it("prints what it verified", async () => {
    const target = { PB_DATA_DIR: path.join(root, "restored-text"), PB_BASE_URL: "http://broker.test" };
    const run = await cli(["restore", archive], target, true);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\d+\/\d+ rows/);
    expect(run.stdout).toMatch(/\[ok\] blobs: 2 of 2 match their SHA-256/);
    expect(run.stdout).toMatch(/\[ok\] dists: 2 of 2 referenced by package versions are present/);
    expect(run.stdout).toMatch(/\[ok\] audit log: \d+ events verified, latest checkpoint at size \d+/);
  });

  it("refuses a target that is not empty unless --force, then replaces it", async () => {
    const target = { PB_DATA_DIR: path.join(root, "busy"), PB_BASE_URL: "http://broker.test" };
    const other = path.join(root, "other.zip");
    fs.writeFileSync(other, packageZip("other/thing", "3.0.0"));
    expect((await cli(["package", "upload", other], target)).code).toBe(0);
    const refused = await cli(["restore", archive], target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the target is not empty \(table .* row\(s\).*--force/);
    expect(refused.stdout).toBe("");
    const listed = await cli(["package", "list", "--json"], target);
    expect(listed.stdout).toContain("other/thing");

    const forced = await restore(target, archive, ["--force"]);
    expect(forced.verification.ok).toBe(true);
    expect(forced.restored.replaced.length).toBeGreaterThan(0);
    expect(await contents(target)).toEqual(await contents(source));
    expect((await cli(["audit", "verify"], target)).code).toBe(0);
  });

  describe("hostile archives: refused before the target is touched", () => {
    const untouched = (name: string): Env => ({
      PB_DATA_DIR: path.join(root, name),
      PB_BASE_URL: "http://broker.test",
    });

    async function refused(file: string, target: Env, message: RegExp): Promise<void> {
      const run = await cli(["restore", file], target);
      expect(run.code, run.stdout).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe("");
      expect(fs.existsSync(target.PB_DATA_DIR ?? "")).toBe(false);
    }

    it("a truncated archive", async () => {
      const file = path.join(root, "truncated.tar");
      const bytes = fs.readFileSync(archive);
      fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await refused(file, untouched("t1"), /cannot be restored: the archive is truncated/);
    });

    it("an archive cut just before its end marker", async () => {
      const file = path.join(root, "no-end.tar");
      const bytes = fs.readFileSync(archive);
      fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1024));
      await refused(file, untouched("t2"), /truncated/);
    });

    it.each([["blobs/"], ["database/audit_logs/"], ["data/secret.key"]])(
      "a flipped byte in a member under %s",
      async (prefix) => {
        const { members } = await readBackupArchive(archive);
        const [, location] = [...members].find(([name]) => name.startsWith(prefix)) ?? [];
        if (location === undefined) throw new Error(`no member ${prefix}`);
        const bytes = fs.readFileSync(archive);
        const index = location.offset + Math.floor(location.size / 2);
        bytes[index] = (bytes[index] ?? 0) ^ 0x01;
        const file = path.join(root, "flipped.tar");
        fs.writeFileSync(file, bytes);
        await refused(file, untouched("t3"), /member .* does not match its SHA-256 in the manifest/);
      },
    );

    it("a missing blob", async () => {
      const file = path.join(root, "missing-blob.tar");
      await rewrite(archive, file, { skip: (name) => name.startsWith("blobs/") });
      await refused(file, untouched("t4"), /member blobs\/[0-9a-f]{64} is missing/);
    });

    it("an archive from a newer schema", async () => {
      const file = path.join(root, "newer.tar");
      await rewrite(archive, file, {
        manifest: (manifest) => ({
          ...manifest,
          migrations: [...manifest.migrations, "9999-from-the-future"],
        }),
      });
      await refused(file, untouched("t5"), /schema is newer than this build .* 9999-from-the-future/);
    });

    it("an archive of a newer format", async () => {
      const file = path.join(root, "format.tar");
      await rewrite(archive, file, { manifest: (manifest) => ({ ...manifest, formatVersion: 2 }) });
      await refused(file, untouched("t8"), /backup format 2; this build .* reads up to 1/);
    });

    it("a member the manifest does not list", async () => {
      const file = path.join(root, "unlisted.tar");
      await rewrite(archive, file, {
        manifest: (manifest) => ({
          ...manifest,
          members: manifest.members.filter((m) => !m.name.startsWith("data/")),
        }),
      });
      await refused(file, untouched("t9"), /member data\/secret\.key is not in the manifest/);
    });

    it("a malformed manifest", async () => {
      const file = path.join(root, "malformed.tar");
      await rewrite(archive, file, {
        manifest: (manifest) => ({
          ...manifest,
          files: [{ name: "secret.key", member: "../../etc/passwd" }],
        }),
      });
      await refused(file, untouched("t10"), /manifest\.json is malformed/);
    });

    it("a file that is not an archive, or does not exist", async () => {
      const file = path.join(root, "notes.txt");
      fs.writeFileSync(file, "hello\n".repeat(200));
      await refused(file, untouched("t6"), /cannot be restored: at byte 0: not a ustar header/);
      await refused(path.join(root, "absent.tar"), untouched("t7"), /cannot read .*absent\.tar/);
    });
  });

  it("accepts a migrated database that holds nothing yet, without --force", async () => {
    const target = { PB_DATA_DIR: path.join(root, "migrated-empty"), PB_BASE_URL: "http://broker.test" };
    const handle = openDatabase(loadConfig(target).database);
    await migrateToLatest(handle.db).finally(() => handle.close());
    expect((await restore(target, archive)).verification.ok).toBe(true);
    expect(await contents(target)).toEqual(await contents(source));
  });

  it("refuses forged rows whose hashes were recomputed, leaving an empty target to restore into", async () => {
    const file = path.join(root, "forged.tar");
    const target = { PB_DATA_DIR: path.join(root, "forged"), PB_BASE_URL: "http://broker.test" };
    await rewrite(archive, file, {
      content: (name, bytes) =>
        name.startsWith("database/tokens/")
          ? Buffer.from(`${bytes.toString("utf8")}["only", "two"]\n`)
          : bytes,
    });
    const run = await cli(["restore", file], target);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /database\/tokens\/000001\.jsonl line \d+ is not a row of \d+ values \[RestoreRowInvalid\]/,
    );
    // The rows went in one transaction: nothing of them stayed, and a good archive restores.
    expect((await restore(target, archive)).verification.ok).toBe(true);
  });

  it.each([
    ["a missing folder", () => "/nonexistent/dir/backup.tar"],
    ["a directory", () => root],
  ])("refuses an output in %s with exit 2", async (_, output) => {
    const before = fs.readdirSync(root);
    const run = await cli(["backup", "--output", output()], source);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot write/);
    expect(fs.readdirSync(root)).toEqual(before);
  });

  it("fails, leaving no archive, when a referenced dist is missing from the blob store", async () => {
    const broken = { PB_DATA_DIR: path.join(root, "broken"), PB_BASE_URL: "http://broker.test" };
    fs.cpSync(source.PB_DATA_DIR ?? "", broken.PB_DATA_DIR, { recursive: true });
    const { manifest } = await readBackupArchive(archive);
    const sha = manifest.blobs[0]?.sha256 ?? "";
    fs.rmSync(path.join(broken.PB_DATA_DIR, "dists", sha.slice(0, 2), sha.slice(2, 4), sha), { force: true });
    const file = path.join(root, "broken.tar");
    const run = await cli(["backup", "--output", file], broken);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`missing from the blob store: ${sha}`));
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.partial`)).toBe(false);
  });
});

describe.runIf(testEngines().includes("postgres"))("backup and restore on PostgreSQL and S3", () => {
  let s3: S3TestServer;
  const s3Env = (prefix: string): Env => ({
    PB_BLOB_URL: `s3://${s3.bucket}/${prefix}`,
    PB_S3_ENDPOINT: s3.endpoint,
    PB_S3_FORCE_PATH_STYLE: "true",
    PB_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    PB_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  });
  const postgres = async (name: string, prefix: string): Promise<Env> => ({
    PB_DATA_DIR: path.join(root, name),
    PB_BASE_URL: "http://broker.test",
    PB_DATABASE_URL: await createPostgresDatabase(),
    ...s3Env(prefix),
  });
  let source: Env;
  let archive: string;

  beforeAll(async () => {
    s3 = await startS3Server();
    source = await postgres("pg-source", "source");
    await seed(source, "postgres");
    archive = path.join(root, "postgres.tar");
  });

  afterAll(async () => {
    await s3.stop();
  });

  it("round-trips PostgreSQL + S3 into another PostgreSQL database and prefix", async () => {
    const manifest = await backup(source, archive);
    expect(manifest.engine).toBe("postgres");
    expect(manifest.tables.map((table) => table.name)).not.toContain("audit_search");
    const target = await postgres("pg-target", "target");
    const result = await restore(target, archive);
    expect(result.verification).toMatchObject({ ok: true, blobs: { checked: 2 }, dists: { missing: [] } });
    expect(await contents(target)).toEqual(await contents(source));
    expect((await cli(["audit", "verify"], target)).code).toBe(0);
    // The search index is rebuilt from the restored log.
    const search = await cli(["audit", "search", "action:package.uploaded", "--json"], target);
    expect(search.code, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout) as { events: unknown[] }).events).toHaveLength(2);
  });

  it("refuses a non-empty PostgreSQL target unless --force, and then replaces it", async () => {
    const target = await postgres("pg-busy", "busy");
    await seed(target, "busy");
    const refused = await cli(["restore", archive], target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not empty/);
    const forced = await restore(target, archive, ["--force"]);
    expect(forced.verification.ok).toBe(true);
    expect(await contents(target)).toEqual(await contents(source));
  });

  it("restores a SQLite backup into PostgreSQL + S3, and a PostgreSQL backup into SQLite", async () => {
    const sqliteSource = { PB_DATA_DIR: path.join(root, "x-sqlite"), PB_BASE_URL: "http://broker.test" };
    await seed(sqliteSource, "cross");
    const fromSqlite = path.join(root, "from-sqlite.tar");
    await backup(sqliteSource, fromSqlite);
    const pgTarget = await postgres("x-pg", "cross");
    expect((await restore(pgTarget, fromSqlite)).verification.ok).toBe(true);
    expect(await contents(pgTarget)).toEqual(await contents(sqliteSource));
    expect((await cli(["audit", "verify"], pgTarget)).code).toBe(0);

    const sqliteTarget = { PB_DATA_DIR: path.join(root, "x-back"), PB_BASE_URL: "http://broker.test" };
    expect((await restore(sqliteTarget, archive)).verification.ok).toBe(true);
    expect(await contents(sqliteTarget)).toEqual(await contents(source));
    expect((await cli(["audit", "verify"], sqliteTarget)).code).toBe(0);
  });

  it("restores as the database's owner role; the application role cannot create the schema", async () => {
    const admin = new pg.Client({ connectionString: inject("postgresUrl") ?? "" });
    const suffix = randomBytes(4).toString("hex");
    const [owner, app, name] = [`owner_${suffix}`, `app_${suffix}`, `roles_${suffix}`];
    await admin.connect();
    try {
      await admin.query(`create role ${owner} login`);
      await admin.query(`create role ${app} login`);
      await admin.query(`create database ${name} owner ${owner}`);
    } finally {
      await admin.end();
    }
    const url = (role: string): string =>
      (inject("postgresUrl") ?? "").replace(/\/\/broker@/, `//${role}@`).replace(/\/postgres$/, `/${name}`);
    const base = {
      PB_DATA_DIR: path.join(root, `roles-${suffix}`),
      PB_BASE_URL: "http://broker.test",
      ...s3Env("roles"),
    };

    const asApp = await cli(["restore", archive], { ...base, PB_DATABASE_URL: url(app) });
    expect(asApp.code).toBe(1);
    expect(asApp.stderr).toMatch(/permission denied/);

    const asOwner = { ...base, PB_DATABASE_URL: url(owner) };
    await seed(asOwner, "owner");
    expect((await cli(["restore", archive], asOwner)).code).toBe(1);
    const forced = await restore(asOwner, archive, ["--force"]);
    expect(forced.verification.ok).toBe(true);
    expect(await contents(asOwner)).toEqual(await contents(source));
  });

  it("takes one consistent snapshot of PostgreSQL while the broker keeps writing", async () => {
    const busy = await postgres("pg-busy-source", "busy-source");
    const target = await postgres("pg-busy-target", "busy-target");
    await backupWhileWriting(busy, target, path.join(root, "pg-busy.tar"));
  });
});
