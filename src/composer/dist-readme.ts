import { Buffer } from "node:buffer";
import type { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import yauzl, { type Entry, type RandomAccessReader, type ZipFile } from "yauzl";
import { DomainError } from "../errors/domain-error.ts";

export interface DistReadmeLimits {
  /** Most entries the archive may have for its central directory to be scanned. */
  readonly maxEntries: number;
  /** Most bytes of the README returned; beyond, the content is cut and `truncated` is true. */
  readonly maxReadmeBytes: number;
}

export interface DistReadme {
  /** The entry name in the archive: `README.md`, or `<top-level directory>/README.md`. */
  readonly path: string;
  readonly format: "markdown" | "text";
  /** UTF-8 text; bytes that are not valid UTF-8 become U+FFFD, a byte order mark is dropped. */
  readonly content: string;
  /** True when the README has more than `maxReadmeBytes` bytes and only those were read. */
  readonly truncated: boolean;
}

/** A zip in memory, or one read in ranges (a blob in the blob store) with its whole size. */
export type ZipSource = Uint8Array | { readonly reader: RandomAccessReader; readonly size: number };

/** README names, lower-cased, most preferred first: Markdown before plain text. */
const README_NAMES = ["readme.md", "readme.markdown", "readme", "readme.txt"] as const;
const MARKDOWN = new Set<string>(["readme.md", "readme.markdown"]);
const FLAG_ENCRYPTED = 0x1;
const FLAG_STRONG_ENCRYPTION = 0x40;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** A README candidate from the central directory. */
interface Candidate {
  readonly entry: Entry;
  readonly name: string;
  /** Its place in README_NAMES. */
  readonly rank: number;
}

/**
 * The README of a dist archive, or null when it has none. Looked for at the root, and when the root
 * has none and the archive wraps everything in one top-level directory (as GitHub's zips do),
 * directly inside that directory: README.md, README.markdown, README, README.txt, any case, in that
 * order of preference. Directories, symbolic links, special files, encrypted entries and unknown
 * compression methods are not READMEs.
 *
 * Only the central directory and the chosen entry are read, and that entry is inflated only up to
 * `maxReadmeBytes` (and never past the size its header declares), so neither a zip bomb nor a lying
 * header makes this inflate more. A README that fails its CRC-32, or whose deflate stream is broken,
 * is refused with ReadmeUnreadable (kind not-found); so is an archive that cannot be read.
 */
export async function findDistReadme(
  source: ZipSource,
  limits: DistReadmeLimits,
): Promise<DistReadme | null> {
  const zipFile = await openZip(source);
  try {
    if (zipFile.entryCount > limits.maxEntries) {
      throw unreadable(
        `the archive has ${zipFile.entryCount} entries; at most ${limits.maxEntries} are read`,
      );
    }
    const chosen = choose(await readCandidates(zipFile));
    if (chosen === undefined) return null;
    const { bytes, truncated } = await inflateBounded(zipFile, chosen, limits.maxReadmeBytes);
    const base = chosen.name.slice(chosen.name.lastIndexOf("/") + 1).toLowerCase();
    return {
      path: chosen.name,
      format: MARKDOWN.has(base) ? "markdown" : "text",
      content: decodeText(bytes, truncated),
      truncated,
    };
  } finally {
    zipFile.close();
  }
}

function openZip(source: ZipSource): Promise<ZipFile> {
  // decodeStrings off: names are decoded below and never rejected for backslashes;
  // validateEntrySizes off: the bounded inflation below does its own counting.
  const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false };
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, zipFile: ZipFile): void => {
      if (error) reject(unreadable(`the archive is not a readable zip: ${error.message}`));
      else resolve(zipFile);
    };
    try {
      if (source instanceof Uint8Array) {
        yauzl.fromBuffer(Buffer.from(source.buffer, source.byteOffset, source.byteLength), options, done);
      } else {
        yauzl.fromRandomAccessReader(source.reader, source.size, options, done);
      }
    } catch (error) {
      reject(unreadable(`the archive is not a readable zip: ${messageOf(error)}`));
    }
  });
}

/**
 * Every regular-file entry named like a README at depth 0 or 1, and the top-level names seen (to
 * know whether the archive wraps its files in a single directory).
 */
function readCandidates(zipFile: ZipFile): Promise<{ candidates: Candidate[]; topLevel: Set<string> }> {
  const candidates: Candidate[] = [];
  const topLevel = new Set<string>();
  return new Promise((resolve, reject) => {
    let settled = false;
    zipFile.on("error", (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(unreadable(`the archive is not a readable zip: ${messageOf(error)}`));
    });
    zipFile.on("end", () => {
      if (settled) return;
      settled = true;
      resolve({ candidates, topLevel });
    });
    zipFile.on("entry", (entry: Entry) => {
      if (settled) return;
      const name = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      );
      if (!name.includes("__MACOSX")) {
        const slash = name.indexOf("/");
        topLevel.add(slash === -1 ? name : name.slice(0, slash + 1));
      }
      const candidate = asCandidate(entry, name);
      if (candidate !== null) candidates.push(candidate);
      zipFile.readEntry();
    });
    zipFile.readEntry();
  });
}

function asCandidate(entry: Entry, name: string): Candidate | null {
  if (name.endsWith("/") || name.includes("\\")) return null;
  const parts = name.split("/");
  if (parts.length > 2 || parts.some((part) => part === "" || part === "." || part === "..")) return null;
  const rank = (README_NAMES as readonly string[]).indexOf((parts.at(-1) ?? "").toLowerCase());
  if (rank === -1) return null;
  // Unix hosts keep st_mode in the high 16 bits; others leave them zero (a regular file).
  const fileType = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (fileType !== 0 && fileType !== S_IFREG) return null;
  if ((entry.externalFileAttributes & 0x10) !== 0) return null; // MS-DOS directory attribute
  if ((entry.generalPurposeBitFlag & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) return null;
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATE) return null;
  return { entry, name, rank };
}

/** The root's best README; else, for an archive with a single top-level directory, that directory's. */
function choose({
  candidates,
  topLevel,
}: {
  candidates: Candidate[];
  topLevel: Set<string>;
}): Candidate | undefined {
  const best = (list: Candidate[]): Candidate | undefined =>
    list.toSorted((a, b) => a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
  const atRoot = best(candidates.filter((candidate) => !candidate.name.includes("/")));
  if (atRoot !== undefined) return atRoot;
  const [top] = topLevel;
  if (topLevel.size !== 1 || top?.endsWith("/") !== true) return undefined;
  return best(candidates.filter((candidate) => candidate.name.startsWith(top)));
}

/**
 * Inflates at most `min(declared size, maxBytes)` bytes of the entry, and stops there. The CRC-32
 * is checked when the whole entry was read; a stream that ends short of the declared size is corrupt.
 */
async function inflateBounded(
  zipFile: ZipFile,
  { entry, name }: Candidate,
  maxBytes: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const wanted = Math.min(entry.uncompressedSize, maxBytes);
  const truncated = entry.uncompressedSize > maxBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  let checksum = 0;
  let stream: Readable | undefined;
  try {
    stream = await zipFile.openReadStreamPromise(entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const part = chunk.byteLength > wanted - size ? chunk.subarray(0, wanted - size) : chunk;
      chunks.push(part);
      size += part.byteLength;
      checksum = crc32(part, checksum);
      // Enough read: what follows is beyond the cap, or beyond what the header declares.
      if (size >= wanted && (truncated || chunk.byteLength > part.byteLength)) break;
    }
  } catch (error) {
    throw unreadable(`${show(name)} in the archive is corrupt: ${messageOf(error)}`);
  } finally {
    stream?.destroy();
  }
  if (size < wanted) {
    throw unreadable(
      `${show(name)} in the archive is truncated: it inflates to ${size} of the ${entry.uncompressedSize} bytes its header declares`,
    );
  }
  if (!truncated && size === entry.uncompressedSize && checksum >>> 0 !== entry.crc32 >>> 0) {
    throw unreadable(`${show(name)} in the archive is corrupt: its CRC-32 does not match`);
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

/** UTF-8, invalid bytes replaced; when cut, a character split by the cut is dropped rather than mangled. */
function decodeText(bytes: Buffer, truncated: boolean): string {
  const decoder = new TextDecoder("utf-8");
  return truncated ? decoder.decode(bytes, { stream: true }) : decoder.decode(bytes);
}

function unreadable(message: string): DomainError {
  return new DomainError("not-found", "ReadmeUnreadable", message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function show(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}
