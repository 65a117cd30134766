import { invalidInput } from "../../errors/domain-error.ts";

/** A blob as stored: its content address (lowercase hex SHA-256) and its size in bytes. */
export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
}

/** Bytes `first` to `last` of a blob, both included, within its size (byte-range.ts resolves them). */
export interface BlobRange {
  readonly first: number;
  readonly last: number;
}

/** A blob being read: its whole size, and a stream of its bytes (of the range, when one was asked). */
export interface BlobRead {
  readonly size: number;
  readonly stream: ReadableStream<Uint8Array>;
}

/**
 * Content-addressed storage for dists. The key of a blob is the SHA-256 of its bytes, so a blob
 * never changes once written; adapters (file system, S3) all pass `blobStoreContract`.
 */
export interface BlobStore {
  /**
   * Stores bytes; returns their SHA-256 (hex) and size. Idempotent: storing the same bytes again is
   * cheap and safe. Atomic: a reader never sees a partial blob (write to a temp file, fsync, rename).
   */
  put(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<StoredBlob>;
  /**
   * A readable stream of the blob, or null when absent. With `range` (which must lie within the
   * blob), only those bytes are streamed; `size` is the whole blob's either way.
   */
  get(sha256: string, range?: BlobRange): Promise<BlobRead | null>;
  head(sha256: string): Promise<StoredBlob | null>;
  /** Removes the blob; absent is not an error. */
  delete(sha256: string): Promise<void>;
}

const BLOB_KEY = /^[0-9a-f]{64}$/;

export function isBlobKey(value: string): boolean {
  return BLOB_KEY.test(value);
}

/**
 * Throws DomainError invalid/InvalidBlobKey unless `value` is 64 lowercase hex digits. Adapters call
 * this before a key reaches a path or an object name.
 */
export function assertBlobKey(value: unknown): asserts value is string {
  if (typeof value !== "string" || !BLOB_KEY.test(value)) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : typeof value;
    throw invalidInput("InvalidBlobKey", `blob key ${shown} is not a SHA-256 (64 lowercase hex digits)`);
  }
}
