import { createHash } from "node:crypto";
import { createAuditReads } from "../../audit/audit-reads.ts";
import type { VerifyLogResult } from "../../audit/integrity/verify-log.ts";
import type { Runtime } from "../../runtime.ts";
import type { BlobStore } from "../../storage/blobs/blob-store.ts";
import type { BackupManifest } from "./backup-manifest.ts";

/** What was checked after a restore; `ok` when everything held. */
export interface RestoreVerification {
  readonly ok: boolean;
  /** Migrations that ran after the restore (the backup came from an older schema). */
  readonly migrationsApplied: readonly string[];
  readonly blobs: { readonly checked: number; readonly bad: readonly string[] };
  readonly dists: { readonly referenced: number; readonly missing: readonly string[] };
  readonly audit: VerifyLogResult;
}

/**
 * Checks a restored target through the runtime: every blob of the backup read back and hashed,
 * every dist that package versions (and mirrored upstream versions) reference present in the
 * blob store, and the audit log verified as `audit verify` does (hashes, seq continuity, signed
 * checkpoints under the server's key).
 */
export async function verifyRestore(
  runtime: Runtime,
  blobs: BlobStore,
  manifest: BackupManifest,
): Promise<RestoreVerification> {
  const bad: string[] = [];
  for (const blob of manifest.blobs) {
    if ((await hashBlob(blobs, blob.sha256)) !== blob.sha256) bad.push(blob.sha256);
  }
  const db = runtime.database.db;
  const own = await db.selectFrom("package_versions").select("dist_sha256").distinct().execute();
  const mirrored = await db
    .selectFrom("proxy_versions")
    .select("dist_sha256")
    .where("dist_sha256", "is not", null)
    .distinct()
    .execute();
  const referenced = new Set(
    [...own, ...mirrored].map((row) => row.dist_sha256).filter((sha) => sha !== null),
  );
  const missing: string[] = [];
  for (const sha256 of [...referenced].sort()) {
    if ((await blobs.head(sha256)) === null) missing.push(sha256);
  }
  const report = await createAuditReads(runtime.audit, db).verification.verify();
  return {
    ok: bad.length === 0 && missing.length === 0 && report.result.ok,
    migrationsApplied: runtime.migrations.applied,
    blobs: { checked: manifest.blobs.length, bad },
    dists: { referenced: referenced.size, missing },
    audit: report.result,
  };
}

async function hashBlob(blobs: BlobStore, sha256: string): Promise<string | null> {
  const read = await blobs.get(sha256);
  if (read === null) return null;
  const hash = createHash("sha256");
  for await (const chunk of read.stream) hash.update(chunk);
  return hash.digest("hex");
}
