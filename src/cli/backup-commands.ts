import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadConfig, type Config } from "../config/load-config.ts";
import { redactUrlPassword } from "../config/redact-url-password.ts";
import { conflict } from "../errors/domain-error.ts";
import { readBackupArchive } from "../operations/backup/read-backup-archive.ts";
import { restoreBackup, type RestoreOutcome } from "../operations/backup/restore-backup.ts";
import { verifyRestore, type RestoreVerification } from "../operations/backup/verify-restore.ts";
import { writeBackup, type BackupSummary } from "../operations/backup/write-backup.ts";
import type { BackupManifest } from "../operations/backup/backup-manifest.ts";
import { openBlobStore } from "../storage/blobs/open-blob-store.ts";
import { openDatabase } from "../storage/database/open-database.ts";
import { CommandFailed, consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { CLEAR_LINE, progressLine } from "./progress-line.ts";

/** `package-broker backup` and `package-broker restore` (docs/operations/backup-restore.md). */
export function registerBackupCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  program
    .command("backup")
    .description(
      "write one archive of the database (a consistent snapshot), the dists it references and the data " +
        "directory's keys (docs/operations/backup-restore.md)",
    )
    .requiredOption(
      "--output <file>",
      "the archive to write (a tar file, mode 0600: it holds the secret key)",
    )
    .option("--json", "print JSON")
    .action((options: { output: string; json?: boolean }) =>
      run(async () => {
        const config = loadConfig(io.env);
        const target = path.resolve(options.output);
        if (config.database.kind === "sqlite" && !fs.existsSync(config.database.file)) {
          throw conflict("BackupDatabaseEmpty", `there is no database at ${config.database.file}`);
        }
        const database = openDatabase(config.database);
        const progress = progressOf(io, options.json === true);
        let summary: BackupSummary;
        try {
          summary = await writeBackup({
            config,
            database,
            blobs: openBlobStore(config.blobs),
            output: target,
            now: new Date(),
            progress: progress.draw,
          });
        } finally {
          progress.clear();
          await database.close();
        }
        // A copy of everything, the keys included: who took it, and where to, is an audit event.
        await withRuntime(io, (runtime) =>
          consoleTrail(runtime).record({
            event: "audit",
            action: "backup_created",
            outcome: "success",
            severity: "warning",
            target: { type: "backup", name: summary.output },
            details: {
              bytes: summary.bytes,
              engine: summary.engine,
              migration: summary.migration,
              tables: summary.tables,
              rows: summary.rows,
              blobs: summary.blobs,
              files: summary.files,
            },
          }),
        );
        output(io, options.json === true, summary, () => describeBackup(summary));
      }),
    );

  program
    .command("restore")
    .description(
      "restore a backup archive into the configured database, blob store and data directory, then verify " +
        "it (exit 0 restored and verified, 1 failed, 2 bad usage or a corrupt archive)",
    )
    .argument("<file>", "the archive written by `package-broker backup`")
    .option("--force", "replace a target that is not empty (everything in it is lost)")
    .option("--json", "print JSON")
    .action((file: string, options: { force?: boolean; json?: boolean }) =>
      run(async () => {
        const config = loadConfig(io.env);
        const json = options.json === true;
        const archive = await readBackupArchive(path.resolve(file));
        const blobs = openBlobStore(config.blobs);
        const progress = progressOf(io, json);
        let restored: RestoreOutcome;
        try {
          restored = await restoreBackup({
            config,
            blobs,
            archive,
            force: options.force === true,
            progress: progress.draw,
          });
        } finally {
          progress.clear();
        }
        const { manifest } = archive;
        const verification = await withRuntime(io, async (runtime) => {
          const verified = await verifyRestore(runtime, blobs, archive.manifest);
          // The restored log's next event says where its history came from.
          await consoleTrail(runtime).record({
            event: "system",
            action: "restored",
            outcome: verified.ok ? "success" : "failure",
            severity: "warning",
            target: { type: "backup", name: archive.file },
            details: {
              taken_at: manifest.createdAt,
              engine: manifest.engine,
              product: manifest.product.version,
              migration: manifest.migrations.at(-1) ?? null,
              rows: restored.rows,
              blobs: restored.blobs,
              replaced: restored.replaced.length > 0,
              verified: verified.ok,
            },
          });
          return verified;
        });
        const result = {
          archive: archive.file,
          backup: {
            createdAt: manifest.createdAt,
            engine: manifest.engine,
            product: manifest.product.version,
            migration: manifest.migrations.at(-1) ?? null,
          },
          restored,
          verification,
        };
        output(io, json, result, () =>
          describeRestore(archive.file, manifest, config, restored, verification),
        );
        if (!verification.ok) throw new CommandFailed(1);
      }),
    );
}

function progressOf(
  io: CliIo,
  json: boolean,
): { draw: (phase: "rows" | "blobs", done: number, total: number) => void; clear: () => void } {
  if (!io.isTerminal || json) return { draw: () => undefined, clear: () => undefined };
  let drawn = false;
  let last = "";
  return {
    draw: (phase, done, total) => {
      // Redraw when the bar or the phase changes, not for every row.
      const step = total === 0 ? 0 : Math.floor((done / total) * 200);
      const key = `${phase}:${step}:${done === total}`;
      if (key === last) return;
      last = key;
      drawn = true;
      io.stderr(progressLine(done, total, phase));
    },
    clear: () => {
      if (drawn) io.stderr(CLEAR_LINE);
    },
  };
}

function describeBackup(summary: BackupSummary): string {
  return [
    `Backed up to ${summary.output} (${summary.bytes} bytes):`,
    `  Database: ${summary.rows} rows in ${summary.tables} tables, one snapshot of ${summary.engine} at schema ${summary.migration}`,
    `  Blobs: ${summary.blobs} dists (${summary.blobBytes} bytes)`,
    `  Files: ${summary.files.length === 0 ? "none (keys configured in the environment)" : summary.files.join(", ")}`,
  ].join("\n");
}

function describeRestore(
  file: string,
  manifest: BackupManifest,
  config: Config,
  restored: RestoreOutcome,
  verification: RestoreVerification,
): string {
  const { audit } = verification;
  const mark = (ok: boolean): string => (ok ? "ok" : "FAILED");
  const lines = [
    `Restored ${file} (taken ${manifest.createdAt} from ${manifest.engine}, PACKAGE.broker ${manifest.product.version})`,
    `  into ${targetOf(config)}${restored.replaced.length > 0 ? " (replacing what was there: --force)" : ""}`,
    `  Database: ${restored.rows} rows in ${restored.tables} tables, every table's count matches the backup`,
    `  Migrations after the restore: ${
      verification.migrationsApplied.length === 0 ? "none" : verification.migrationsApplied.join(", ")
    }`,
    `  Files: ${restored.files.length === 0 ? "none" : restored.files.join(", ")}`,
    `Verified:`,
    `  [${mark(verification.blobs.bad.length === 0)}] blobs: ${verification.blobs.checked - verification.blobs.bad.length} of ${verification.blobs.checked} match their SHA-256`,
    `  [${mark(verification.dists.missing.length === 0)}] dists: ${verification.dists.referenced - verification.dists.missing.length} of ${verification.dists.referenced} referenced by package versions are present`,
    audit.ok
      ? `  [ok] audit log: ${audit.size} events verified${
          audit.checkpoint === null
            ? " (no signed checkpoint yet)"
            : `, latest checkpoint at size ${audit.checkpoint.size}`
        }`
      : `  [FAILED] audit log at seq ${audit.firstBadSeq}: ${audit.reason} (${audit.detail})`,
  ];
  for (const sha256 of verification.blobs.bad.slice(0, 5)) lines.push(`    blob does not match: ${sha256}`);
  for (const sha256 of verification.dists.missing.slice(0, 5)) lines.push(`    dist missing: ${sha256}`);
  return lines.join("\n");
}

function targetOf(config: Config): string {
  const database =
    config.database.kind === "sqlite" ? config.database.file : redactUrlPassword(config.database.url);
  const blobs =
    config.blobs.kind === "fs"
      ? config.blobs.directory
      : `s3://${config.blobs.bucket}${config.blobs.prefix === "" ? "" : `/${config.blobs.prefix}`}`;
  return `${database}, blobs in ${blobs}, data directory ${config.dataDir}`;
}
