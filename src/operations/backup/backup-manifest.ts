import { z } from "zod";

/** The name of the format in every manifest; `formatVersion` changes when a reader must change. */
export const BACKUP_FORMAT = "package-broker-backup";
export const BACKUP_FORMAT_VERSION = 1;
/** The manifest is the archive's last member. */
export const MANIFEST_MEMBER = "manifest.json";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().nonnegative();
const memberName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._/-]+$/)
  .refine((name) => !name.split("/").includes(".."), "must not contain ..");

/**
 * What `manifest.json` holds (docs/operations/backup-restore.md): where the backup came from, the
 * schema it was taken at, the tables (their columns and the members holding their rows), the
 * blobs, the data-directory files, and the size and SHA-256 of every other member.
 */
export const backupManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.number().int().positive(),
  product: z.object({ name: z.string(), version: z.string() }),
  createdAt: z.string(),
  engine: z.enum(["sqlite", "postgres"]),
  /** Every migration applied to the database, in order: the schema the rows fit. */
  migrations: z.array(z.string().min(1)).min(1),
  tables: z.array(
    z.object({
      name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
      columns: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/)).min(1),
      rows: count,
      members: z.array(memberName),
    }),
  ),
  blobs: z.array(z.object({ sha256, size: count, member: memberName })),
  files: z.array(
    z.object({ name: z.enum(["secret.key", "audit-signing.key", "known_hosts"]), member: memberName }),
  ),
  members: z.array(z.object({ name: memberName, size: count, sha256 })),
  counts: z.object({ tables: count, rows: count, blobs: count, blobBytes: count, files: count }),
});

export type BackupManifest = z.infer<typeof backupManifestSchema>;
export type BackupFileName = BackupManifest["files"][number]["name"];
