import { createHash, randomUUID, type Hash } from "node:crypto";
import fs, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import {
  assertBlobKey,
  type BlobRange,
  type BlobRead,
  type BlobStore,
  type StoredBlob,
} from "./blob-store.ts";

export interface FsBlobStoreOptions {
  /** Root of the store; created on first write. Blobs live at `<directory>/ab/cd/<sha256>`. */
  readonly directory: string;
}

/** Blobs are immutable once published; read-only files say so (set explicitly, whatever the umask). */
export const FS_BLOB_FILE_MODE = 0o444;
const TEMP_FILE_MODE = 0o600;
const TEMP_DIRECTORY = ".tmp";

/**
 * Content-addressed blobs on a local file system.
 *
 * A put streams into `<directory>/.tmp/<uuid>` while hashing, fsyncs the file, renames it onto its
 * content address and fsyncs the target directory. rename(2) is atomic within a file system, so a
 * reader sees either no blob or the whole blob; concurrent puts of the same bytes each write their
 * own temp file and the last rename wins with identical content. The temp directory lives inside
 * the store so the rename never crosses a file system.
 */
export class FsBlobStore implements BlobStore {
  readonly #directory: string;
  readonly #tempDirectory: string;
  #tempDirectoryReady: Promise<void> | undefined;

  constructor(options: FsBlobStoreOptions) {
    this.#directory = path.resolve(options.directory);
    this.#tempDirectory = path.join(this.#directory, TEMP_DIRECTORY);
  }

  async put(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<StoredBlob> {
    if (data instanceof Uint8Array) {
      const sha256 = createHash("sha256").update(data).digest("hex");
      // Known bytes: when the blob is already there, storing it again costs one stat.
      if ((await this.head(sha256))?.size === data.byteLength) return { sha256, size: data.byteLength };
      return this.#write(async (handle) => {
        await writeFully(handle, data);
        return { sha256, size: data.byteLength };
      });
    }
    return this.#write(async (handle) => {
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of data) {
        size += await writeChunk(handle, hash, chunk);
      }
      return { sha256: hash.digest("hex"), size };
    });
  }

  async get(sha256: string, range?: BlobRange): Promise<BlobRead | null> {
    assertBlobKey(sha256);
    let handle: FileHandle;
    try {
      handle = await fs.open(this.#pathOf(sha256), "r");
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      // The open descriptor keeps the bytes readable even if the blob is deleted meanwhile; the
      // stream closes it at the end, on error and on cancel.
      const stream = Readable.toWeb(
        handle.createReadStream({
          autoClose: true,
          ...(range === undefined ? {} : { start: range.first, end: range.last }),
        }),
      ) as ReadableStream<Uint8Array>;
      return { size, stream };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async head(sha256: string): Promise<StoredBlob | null> {
    assertBlobKey(sha256);
    try {
      const stats = await fs.stat(this.#pathOf(sha256));
      return { sha256, size: stats.size };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(sha256: string): Promise<void> {
    assertBlobKey(sha256);
    try {
      await fs.unlink(this.#pathOf(sha256));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** The path of a blob; `sha256` must have passed assertBlobKey. */
  #pathOf(sha256: string): string {
    return path.join(this.#directory, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /**
   * Runs `fill` against a fresh temp file, then publishes the file under the address `fill`
   * returns. On any failure the temp file is removed and nothing is published.
   */
  async #write(fill: (handle: FileHandle) => Promise<StoredBlob>): Promise<StoredBlob> {
    await this.#ensureTempDirectory();
    const tempPath = path.join(this.#tempDirectory, `${randomUUID()}.tmp`);
    const handle = await fs.open(tempPath, "wx", TEMP_FILE_MODE);
    let open = true;
    try {
      const blob = await fill(handle);
      await handle.chmod(FS_BLOB_FILE_MODE);
      await handle.sync();
      open = false;
      await handle.close();
      const target = this.#pathOf(blob.sha256);
      if ((await this.head(blob.sha256))?.size === blob.size) {
        // Someone stored these bytes first; ours are identical.
        await fs.unlink(tempPath);
        return blob;
      }
      const targetDirectory = path.dirname(target);
      await fs.mkdir(targetDirectory, { recursive: true });
      await fs.rename(tempPath, target);
      await fsyncDirectory(targetDirectory);
      return blob;
    } catch (error) {
      if (open) await handle.close().catch(() => undefined);
      await fs.rm(tempPath, { force: true });
      throw error;
    }
  }

  #ensureTempDirectory(): Promise<void> {
    this.#tempDirectoryReady ??= fs.mkdir(this.#tempDirectory, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.#tempDirectoryReady = undefined;
        throw error;
      },
    );
    return this.#tempDirectoryReady;
  }
}

async function writeChunk(handle: FileHandle, hash: Hash, chunk: unknown): Promise<number> {
  // Node streams in object or string mode would hand us something else; refuse rather than guess.
  if (!(chunk instanceof Uint8Array)) {
    throw new TypeError(`blob data must be Uint8Array chunks, got ${typeof chunk}`);
  }
  hash.update(chunk);
  await writeFully(handle, chunk);
  return chunk.byteLength;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Makes a rename durable. Some platforms cannot fsync a directory; they get atomicity only. */
async function fsyncDirectory(directory: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await fs.open(directory, "r");
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!hasCode(error, "EINVAL", "EISDIR", "EPERM", "EBADF")) throw error;
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return hasCode(error, "ENOENT");
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  return (
    error instanceof Error && "code" in error && typeof error.code === "string" && codes.includes(error.code)
  );
}
