import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import yauzl from "yauzl";
import type { BlobStore } from "./blob-store.ts";

/** Bytes fetched per range request, and how many such blocks one reader keeps. */
const BLOCK_BYTES = 64 * 1024;
const MAX_BLOCKS = 32;

/**
 * A zip stored in the blob store, read by yauzl in ranges rather than loaded whole. yauzl asks for
 * many small ranges (each central directory entry is two reads), so ranges are served from 64 KiB
 * blocks fetched once and kept (at most 2 MiB per reader): a central directory costs a few
 * requests to the store, not two per entry.
 */
export class BlobZipReader extends yauzl.RandomAccessReader {
  readonly #blobs: BlobStore;
  readonly #sha256: string;
  readonly #size: number;
  readonly #blocks = new Map<number, Promise<Buffer>>();

  constructor(blobs: BlobStore, sha256: string, size: number) {
    super();
    this.#blobs = blobs;
    this.#sha256 = sha256;
    this.#size = size;
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.#chunks(start, end), { objectMode: false });
  }

  async *#chunks(start: number, end: number): AsyncGenerator<Buffer> {
    for (let index = Math.floor(start / BLOCK_BYTES); index * BLOCK_BYTES < end; index++) {
      const block = await this.#block(index);
      const offset = index * BLOCK_BYTES;
      const from = Math.max(start - offset, 0);
      const to = Math.min(end - offset, block.byteLength);
      if (to <= from) throw new Error(`the blob ends before byte ${end}`);
      yield block.subarray(from, to);
    }
  }

  #block(index: number): Promise<Buffer> {
    const cached = this.#blocks.get(index);
    if (cached !== undefined) {
      this.#blocks.delete(index);
      this.#blocks.set(index, cached);
      return cached;
    }
    const loading = this.#load(index);
    void loading.catch(() => this.#blocks.delete(index));
    this.#blocks.set(index, loading);
    if (this.#blocks.size > MAX_BLOCKS) {
      const [oldest] = this.#blocks.keys();
      if (oldest !== undefined) this.#blocks.delete(oldest);
    }
    return loading;
  }

  async #load(index: number): Promise<Buffer> {
    const first = index * BLOCK_BYTES;
    const last = Math.min(this.#size, first + BLOCK_BYTES) - 1;
    if (last < first) throw new Error(`the blob ends before byte ${first}`);
    const read = await this.#blobs.get(this.#sha256, { first, last });
    if (read === null) throw new Error("the blob is missing from storage");
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of read.stream) {
      size += chunk.byteLength;
      if (size > BLOCK_BYTES) throw new Error("the blob store returned more than the range asked for");
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }
}
