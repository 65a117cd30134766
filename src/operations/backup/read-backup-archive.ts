import { createHash } from "node:crypto";
import fsp, { type FileHandle } from "node:fs/promises";
import { prettifyError } from "zod";
import { invalidInput, type DomainError } from "../../errors/domain-error.ts";
import { PRODUCT_VERSION } from "../../product-version.ts";
import { migrations as knownMigrations } from "../../storage/database/migrations/migration-list.ts";
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  backupManifestSchema,
  MANIFEST_MEMBER,
  type BackupManifest,
} from "./backup-manifest.ts";
import { decodeTarHeader, TAR_BLOCK, tarPadding } from "./tar-header.ts";

/** Where a member's bytes lie in the archive file. */
export interface MemberLocation {
  readonly offset: number;
  readonly size: number;
}

/** An archive whose every member was read and matched the manifest: safe to restore from. */
export interface CheckedArchive {
  readonly file: string;
  readonly manifest: BackupManifest;
  readonly members: ReadonlyMap<string, MemberLocation>;
}

const CHUNK = 1024 * 1024;
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

/**
 * Reads the whole archive once before anything is restored: every header, the SHA-256 of every
 * member against the manifest (the last member), no member missing or unlisted, a format this
 * build reads and a schema it knows. Throws DomainError invalid/BackupArchiveInvalid or
 * invalid/BackupSchemaNewer with what is wrong.
 */
export async function readBackupArchive(file: string): Promise<CheckedArchive> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, "r");
  } catch (error) {
    throw invalidInput("BackupArchiveUnreadable", `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const { members, hashes, manifestText } = await scan(handle, file);
    const manifest = parseManifest(manifestText, file);
    checkMembers(manifest, members, hashes, file);
    checkSchema(manifest);
    return { file, manifest, members };
  } finally {
    await handle.close();
  }
}

async function scan(
  handle: FileHandle,
  file: string,
): Promise<{ members: Map<string, MemberLocation>; hashes: Map<string, string>; manifestText: string }> {
  const { size: fileSize } = await handle.stat();
  const members = new Map<string, MemberLocation>();
  const hashes = new Map<string, string>();
  let manifestText: string | null = null;
  let position = 0;
  const buffer = Buffer.alloc(CHUNK);
  for (;;) {
    if (position + TAR_BLOCK > fileSize)
      throw corrupt(file, "the archive is truncated (no end-of-archive marker)");
    const header = Buffer.alloc(TAR_BLOCK);
    await readExactly(handle, header, position);
    let decoded;
    try {
      decoded = decodeTarHeader(header);
    } catch (error) {
      throw corrupt(file, `at byte ${position}: ${(error as Error).message}`);
    }
    if (decoded === null) break;
    if (manifestText !== null) throw corrupt(file, `${MANIFEST_MEMBER} is not the last member`);
    const { name, size } = decoded;
    const offset = position + TAR_BLOCK;
    if (offset + size > fileSize) throw corrupt(file, `the archive is truncated (in ${name})`);
    if (members.has(name)) throw corrupt(file, `member ${name} appears twice`);
    if (name === MANIFEST_MEMBER) {
      if (size > MAX_MANIFEST_BYTES) throw corrupt(file, `${MANIFEST_MEMBER} is too large`);
      const content = Buffer.alloc(size);
      await readExactly(handle, content, offset);
      manifestText = content.toString("utf8");
    } else {
      const hash = createHash("sha256");
      for (let done = 0; done < size;) {
        const length = Math.min(CHUNK, size - done);
        await readExactly(handle, buffer.subarray(0, length), offset + done);
        hash.update(buffer.subarray(0, length));
        done += length;
      }
      hashes.set(name, hash.digest("hex"));
    }
    members.set(name, { offset, size });
    position = offset + size + tarPadding(size);
  }
  if (manifestText === null) throw corrupt(file, `the archive has no ${MANIFEST_MEMBER}`);
  return { members, hashes, manifestText };
}

async function readExactly(handle: FileHandle, target: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) throw new Error("unexpected end of file");
    done += bytesRead;
  }
}

function parseManifest(text: string, file: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(file, `${MANIFEST_MEMBER} is not JSON`);
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (format !== BACKUP_FORMAT)
    throw corrupt(file, `it is not a PACKAGE.broker backup (format ${String(format)})`);
  const parsed = backupManifestSchema.safeParse(value);
  if (!parsed.success)
    throw corrupt(file, `${MANIFEST_MEMBER} is malformed:\n${prettifyError(parsed.error)}`);
  if (parsed.data.formatVersion > BACKUP_FORMAT_VERSION) {
    throw invalidInput(
      "BackupFormatNewer",
      `${file} is backup format ${parsed.data.formatVersion}; this build (${PRODUCT_VERSION}) reads up to ${BACKUP_FORMAT_VERSION}`,
    );
  }
  return parsed.data;
}

function checkMembers(
  manifest: BackupManifest,
  members: ReadonlyMap<string, MemberLocation>,
  hashes: ReadonlyMap<string, string>,
  file: string,
): void {
  const listed = new Set<string>();
  for (const member of manifest.members) {
    listed.add(member.name);
    const location = members.get(member.name);
    if (location === undefined) throw corrupt(file, `member ${member.name} is missing`);
    if (location.size !== member.size || hashes.get(member.name) !== member.sha256) {
      throw corrupt(file, `member ${member.name} does not match its SHA-256 in the manifest`);
    }
  }
  for (const name of members.keys()) {
    if (name !== MANIFEST_MEMBER && !listed.has(name))
      throw corrupt(file, `member ${name} is not in the manifest`);
  }
  const referenced = [
    ...manifest.tables.flatMap((table) => table.members),
    ...manifest.blobs.map((blob) => blob.member),
    ...manifest.files.map((entry) => entry.member),
  ];
  for (const name of referenced) {
    if (!listed.has(name)) throw corrupt(file, `the manifest names ${name}, which it does not list`);
  }
  const byName = new Map(manifest.members.map((member) => [member.name, member]));
  for (const blob of manifest.blobs) {
    if (byName.get(blob.member)?.sha256 !== blob.sha256)
      throw corrupt(file, `blob ${blob.sha256} is not what its member holds`);
  }
}

/** Every migration of the archive must be one this build has, in the same order. */
function checkSchema(manifest: BackupManifest): void {
  const known = Object.keys(knownMigrations);
  const unknown = manifest.migrations.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw invalidInput(
      "BackupSchemaNewer",
      `the backup's schema is newer than this build (${PRODUCT_VERSION}): it has migration(s) ${unknown.join(
        ", ",
      )}; restore it with the version that took it (${manifest.product.version}) or a later one`,
    );
  }
  if (manifest.migrations.some((name, index) => known[index] !== name)) {
    throw invalidInput("BackupArchiveInvalid", "the backup's migrations are not a prefix of this build's");
  }
}

function corrupt(file: string, reason: string): DomainError {
  return invalidInput("BackupArchiveInvalid", `${file} cannot be restored: ${reason}`);
}
