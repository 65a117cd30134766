import { Buffer, isUtf8 } from "node:buffer";
import type { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { DomainError, invalidInput } from "../errors/domain-error.ts";

export interface DistArchiveLimits {
  /** Most entries (files and directories) an archive may have. */
  readonly maxEntries: number;
  /** Most bytes all entries may inflate to, together. */
  readonly maxUncompressedBytes: number;
  /** Most bytes the composer.json may have. */
  readonly maxComposerJsonBytes: number;
}

export interface DistArchiveInspection {
  /** The composer.json exactly as stored (UTF-8; a byte order mark, if any, is kept). */
  readonly composerJson: string;
  /** Its entry name: `composer.json`, or `<top-level directory>/composer.json`. */
  readonly composerJsonPath: string;
  readonly entryCount: number;
  /** Bytes actually inflated from all entries. */
  readonly uncompressedBytes: number;
}

/** A central directory entry that passed every check, with its decoded name. */
interface CheckedEntry {
  readonly entry: Entry;
  readonly name: string;
  readonly isDirectory: boolean;
}

const COMPOSER_JSON = "composer.json";
const FLAG_ENCRYPTED = 0x1;
const FLAG_STRONG_ENCRYPTION = 0x40;
const FLAG_UTF8 = 0x800;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** C0 controls (NUL included), DEL and C1 controls. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Validates an uploaded dist archive and returns its composer.json, without touching the file
 * system. Every refusal is a DomainError: kind "too-large" with code ArchiveTooLarge for size
 * limits, kind "invalid" otherwise.
 *
 * Central directory first (cheap, nothing inflated): the entry count, every name, encryption,
 * entry types, compression methods, duplicates and the sum of declared sizes, then where
 * composer.json is. Then every entry is inflated through a counter that stops the moment an entry
 * produces more than its header declared. Since the declared sizes already sum to at most
 * `maxUncompressedBytes`, no lying header can make us (or a Composer client extracting the
 * archive later) inflate more than that, and the CRC-32 of every entry is verified on the way.
 * Inflating every entry rather than only composer.json costs at most the size limit in CPU and a
 * few chunks of memory; in exchange the archive we store and serve is known to be intact.
 */
export async function inspectDistArchive(
  zip: Uint8Array,
  limits: DistArchiveLimits,
): Promise<DistArchiveInspection> {
  const zipFile = await openZip(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength));
  try {
    if (zipFile.entryCount > limits.maxEntries) {
      throw invalidInput(
        "ArchiveTooManyEntries",
        `archive has ${zipFile.entryCount} entries; at most ${limits.maxEntries} are allowed`,
        { entryCount: zipFile.entryCount, maxEntries: limits.maxEntries },
      );
    }
    const entries = await readCentralDirectory(zipFile, limits);
    const composerEntry = locateComposerJson(entries);
    if (composerEntry.entry.uncompressedSize > limits.maxComposerJsonBytes) {
      throw composerJsonTooLarge(composerEntry, limits);
    }

    let uncompressedBytes = 0;
    let composerJsonBytes: Buffer | undefined;
    for (const checked of entries) {
      const keep = checked === composerEntry;
      const inflated = await inflateEntry(zipFile, checked, {
        budget: limits.maxUncompressedBytes - uncompressedBytes,
        maxUncompressedBytes: limits.maxUncompressedBytes,
        keep,
      });
      uncompressedBytes += inflated.size;
      if (keep) composerJsonBytes = inflated.bytes;
    }

    return {
      composerJson: decodeComposerJson(composerJsonBytes ?? Buffer.alloc(0), composerEntry),
      composerJsonPath: composerEntry.name,
      entryCount: entries.length,
      uncompressedBytes,
    };
  } finally {
    zipFile.close();
  }
}

function openZip(buffer: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    try {
      // decodeStrings off: yauzl would rewrite backslashes and refuse bad names with untyped
      // errors; names are decoded and judged here instead. validateEntrySizes off: sizes are
      // counted here, so a lying header gets a precise error rather than a generic stream error.
      yauzl.fromBuffer(
        buffer,
        { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false },
        (error, zipFile) => {
          if (error) reject(corruptArchive(error));
          else resolve(zipFile);
        },
      );
    } catch (error) {
      reject(corruptArchive(error));
    }
  });
}

function readCentralDirectory(zipFile: ZipFile, limits: DistArchiveLimits): Promise<CheckedEntry[]> {
  const entries: CheckedEntry[] = [];
  const names = new Map<string, string>();
  let declaredBytes = 0;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error instanceof DomainError ? error : corruptArchive(error));
    };
    zipFile.on("error", fail);
    zipFile.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(entries);
    });
    zipFile.on("entry", (entry: Entry) => {
      if (settled) return;
      try {
        const checked = checkEntry(entry);
        // A file "a" and a directory "a/" would land on the same path when extracted.
        const key = checked.name.replace(/\/$/, "");
        const previous = names.get(key);
        if (previous !== undefined) {
          throw invalidInput(
            "ArchiveDuplicateEntry",
            `archive has more than one entry named ${show(previous)}${previous === checked.name ? "" : ` (also ${show(checked.name)})`}`,
            { entry: checked.name },
          );
        }
        names.set(key, checked.name);
        declaredBytes += entry.uncompressedSize;
        if (declaredBytes > limits.maxUncompressedBytes) {
          throw archiveTooLarge(
            `archive declares more than ${limits.maxUncompressedBytes} bytes of uncompressed content`,
            limits,
          );
        }
        entries.push(checked);
      } catch (error) {
        fail(error);
        return;
      }
      zipFile.readEntry();
    });
    zipFile.readEntry();
  });
}

function checkEntry(entry: Entry): CheckedEntry {
  const name = entryName(entry);
  if ((entry.generalPurposeBitFlag & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) {
    throw invalidInput(
      "ArchiveEncryptedEntry",
      `archive entry ${show(name)} is encrypted; encrypted archives are not supported`,
      { entry: name },
    );
  }
  // Unix hosts keep st_mode in the high 16 bits. Other hosts leave them zero; any type there
  // other than a regular file or a directory is refused whatever the host claims to be.
  const fileType = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (fileType === S_IFLNK) {
    throw invalidInput(
      "ArchiveSymlink",
      `archive entry ${show(name)} is a symbolic link; archives must contain only files and directories`,
      { entry: name },
    );
  }
  if (fileType !== 0 && fileType !== S_IFREG && fileType !== S_IFDIR) {
    throw invalidInput(
      "ArchiveSpecialFile",
      `archive entry ${show(name)} is a special file (mode ${fileType.toString(8)}); archives must contain only files and directories`,
      { entry: name },
    );
  }
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATE) {
    throw invalidInput(
      "ArchiveUnsupportedCompression",
      `archive entry ${show(name)} uses compression method ${entry.compressionMethod}; only stored and deflate are supported`,
      { entry: name, compressionMethod: entry.compressionMethod },
    );
  }
  return { entry, name, isDirectory: name.endsWith("/") };
}

/**
 * Decodes an entry name as yauzl would (UTF-8 when flagged or given by an Info-ZIP Unicode Path
 * extra field, CP437 otherwise) but keeps backslashes, and validates it. When the extra field gives
 * a different name than the header, both must be acceptable: extractors differ in which they use.
 */
function entryName(entry: Entry): string {
  const raw = entry.fileNameRaw;
  const flags = entry.generalPurposeBitFlag;
  if ((flags & FLAG_UTF8) !== 0 && !isUtf8(raw)) {
    throw invalidInput(
      "ArchiveInvalidEntryName",
      `archive entry ${show(raw.toString("utf8"))} has a name that is not valid UTF-8`,
      { entry: raw.toString("utf8") },
    );
  }
  const name = yauzl.getFileNameLowLevel(flags, raw, entry.extraFields, true);
  const headerName = yauzl.getFileNameLowLevel(flags, raw, [], true);
  // CP437 shows control bytes as glyphs ("\n" as "◙"), so look at the bytes themselves too.
  if (raw.some((byte) => byte < 0x20 || byte === 0x7f)) {
    throw invalidInput(
      "ArchiveInvalidEntryName",
      `archive entry ${show(raw.toString("latin1"))} has a name containing NUL or another control character`,
      { entry: raw.toString("latin1") },
    );
  }
  validateEntryName(name);
  if (headerName !== name) validateEntryName(headerName);
  return name;
}

function validateEntryName(name: string): void {
  const invalid = (reason: string): DomainError =>
    invalidInput("ArchiveInvalidEntryName", `archive entry ${show(name)} ${reason}`, { entry: name });
  const traversal = (reason: string): DomainError =>
    invalidInput("ArchivePathTraversal", `archive entry ${show(name)} ${reason}`, { entry: name });

  if (name === "") throw invalid("has an empty name");
  if (CONTROL_CHARACTER.test(name)) throw invalid("has a name containing NUL or another control character");
  // Judge traversal as a Windows extractor would see it too: a backslash separates there.
  const slashed = name.replaceAll("\\", "/");
  if (slashed.startsWith("/")) throw traversal("is an absolute path and escapes the archive root");
  if (/^[a-zA-Z]:/.test(slashed)) throw traversal("starts with a drive letter and escapes the archive root");
  const segments = slashed.split("/");
  if (segments.includes("..")) throw traversal("escapes the archive root");
  if (name.includes("\\")) throw invalid("contains a backslash; zip entry names separate directories with /");
  // A trailing slash marks a directory; any other empty segment, and ".", are aliases of other
  // names that would defeat the duplicate check.
  const inner = name.endsWith("/") ? segments.slice(0, -1) : segments;
  if (inner.some((segment) => segment === "" || segment === ".")) {
    throw invalid('has an empty or "." path segment');
  }
}

/**
 * Where Composer looks (Composer\Util\Zip::locateFile, used by the artifact repository): the
 * root `composer.json` if there is one; otherwise the archive must have exactly one top-level entry,
 * ignoring anything with `__MACOSX` in its name, and `composer.json` directly inside it.
 */
function locateComposerJson(entries: readonly CheckedEntry[]): CheckedEntry {
  const files = new Map(entries.filter((e) => !e.isDirectory).map((e) => [e.name, e]));
  const atRoot = files.get(COMPOSER_JSON);
  if (atRoot !== undefined) return atRoot;

  const topLevel = new Set<string>();
  for (const { name } of entries) {
    if (name.includes("__MACOSX")) continue;
    const withoutSlash = name.replace(/\/$/, "");
    const slash = withoutSlash.lastIndexOf("/");
    if (slash === -1) {
      topLevel.add(name); // a top-level file, or a top-level directory's own entry
    } else if (!withoutSlash.slice(0, slash).includes("/")) {
      topLevel.add(`${withoutSlash.slice(0, slash)}/`); // an entry directly inside a top-level directory
    }
  }
  if (topLevel.size > 1) {
    const shown = [...topLevel].slice(0, 5).map(show).join(", ");
    throw invalidInput(
      "ArchiveMissingComposerJson",
      `archive has no composer.json at its root and more than one top-level entry (${shown}${topLevel.size > 5 ? ", …" : ""}); Composer needs composer.json at the root or inside a single top-level directory`,
    );
  }
  const [top] = topLevel;
  const nested = top === undefined ? undefined : files.get(`${top}${COMPOSER_JSON}`);
  if (nested === undefined) {
    throw invalidInput(
      "ArchiveMissingComposerJson",
      "archive has no composer.json, neither at its root nor inside its single top-level directory",
    );
  }
  return nested;
}

async function inflateEntry(
  zipFile: ZipFile,
  { entry, name }: CheckedEntry,
  options: { budget: number; maxUncompressedBytes: number; keep: boolean },
): Promise<{ size: number; bytes: Buffer | undefined }> {
  let stream: Readable | undefined;
  let size = 0;
  let checksum = 0;
  const chunks: Buffer[] = [];
  try {
    // Extractors that stream from local headers see those names; they must agree.
    const local = await zipFile.readLocalFileHeaderPromise(entry);
    if (!local.fileName.equals(entry.fileNameRaw)) {
      throw invalidInput(
        "InvalidArchive",
        `archive entry ${show(name)} is named ${show(local.fileName.toString("utf8"))} in its local header`,
        { entry: name },
      );
    }
    stream = await zipFile.openReadStreamPromise(entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > entry.uncompressedSize) {
        throw archiveTooLarge(
          `archive entry ${show(name)} inflates to more than the ${entry.uncompressedSize} bytes its header declares`,
          { maxUncompressedBytes: options.maxUncompressedBytes },
        );
      }
      if (size > options.budget) {
        throw archiveTooLarge(`archive inflates to more than ${options.maxUncompressedBytes} bytes`, {
          maxUncompressedBytes: options.maxUncompressedBytes,
        });
      }
      checksum = crc32(chunk, checksum);
      if (options.keep) chunks.push(chunk);
    }
  } catch (error) {
    stream?.destroy();
    if (error instanceof DomainError) throw error;
    throw invalidInput("InvalidArchive", `archive entry ${show(name)} is corrupt: ${messageOf(error)}`, {
      entry: name,
    });
  }
  if (size !== entry.uncompressedSize) {
    throw invalidInput(
      "InvalidArchive",
      `archive entry ${show(name)} is truncated: it inflates to ${size} of the ${entry.uncompressedSize} bytes its header declares`,
      { entry: name },
    );
  }
  if (checksum >>> 0 !== entry.crc32 >>> 0) {
    throw invalidInput(
      "InvalidArchive",
      `archive entry ${show(name)} is corrupt: its CRC-32 does not match`,
      {
        entry: name,
      },
    );
  }
  return { size, bytes: options.keep ? Buffer.concat(chunks) : undefined };
}

function decodeComposerJson(bytes: Buffer, { name }: CheckedEntry): string {
  if (!isUtf8(bytes)) {
    throw invalidInput("ComposerJsonNotUtf8", `${name} in the archive is not valid UTF-8`, { entry: name });
  }
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

function composerJsonTooLarge({ name, entry }: CheckedEntry, limits: DistArchiveLimits): DomainError {
  return invalidInput(
    "ComposerJsonTooLarge",
    `${name} in the archive has ${entry.uncompressedSize} bytes; at most ${limits.maxComposerJsonBytes} are allowed`,
    { entry: name, maxComposerJsonBytes: limits.maxComposerJsonBytes },
  );
}

function archiveTooLarge(message: string, limits: { maxUncompressedBytes: number }): DomainError {
  return new DomainError("too-large", "ArchiveTooLarge", message, {
    maxUncompressedBytes: limits.maxUncompressedBytes,
  });
}

function corruptArchive(error: unknown): DomainError {
  const message = messageOf(error);
  if (/encrypt/i.test(message)) {
    return invalidInput(
      "ArchiveEncryptedEntry",
      `archive uses encryption, which is not supported (${message})`,
    );
  }
  return invalidInput("InvalidArchive", `upload is not a readable zip archive: ${message}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A name as shown in messages: quoted, with control characters and backslashes escaped. */
function show(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}
