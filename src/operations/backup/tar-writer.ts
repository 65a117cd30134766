import { createHash } from "node:crypto";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { encodeTarHeader, TAR_BLOCK, tarPadding } from "./tar-header.ts";

/** A member as written: its name, size and the SHA-256 of its bytes. */
export interface WrittenMember {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Writes a ustar archive to a stream, member after member, with backpressure. A member's size is
 * given up front (the header comes first); the bytes written must add up to it exactly.
 */
export class TarWriter {
  readonly #out: Writable;
  readonly #mtime: number;
  #bytes = 0;

  constructor(out: Writable, mtime: Date) {
    this.#out = out;
    this.#mtime = Math.floor(mtime.getTime() / 1000);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  async add(
    name: string,
    size: number,
    content: Uint8Array | AsyncIterable<Uint8Array>,
  ): Promise<WrittenMember> {
    const hash = createHash("sha256");
    await this.#write(encodeTarHeader(name, size, this.#mtime));
    let written = 0;
    const chunks = content instanceof Uint8Array ? [content] : content;
    for await (const chunk of chunks) {
      written += chunk.byteLength;
      if (written > size) throw new Error(`${name} has more than the ${size} bytes announced`);
      hash.update(chunk);
      await this.#write(chunk);
    }
    if (written !== size) throw new Error(`${name} has ${written} bytes, not the ${size} announced`);
    await this.#write(Buffer.alloc(tarPadding(size)));
    return { name, size, sha256: hash.digest("hex") };
  }

  /** The end-of-archive marker (two zero blocks). The caller ends the stream. */
  async finish(): Promise<void> {
    await this.#write(Buffer.alloc(2 * TAR_BLOCK));
  }

  async #write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    this.#throwIfFailed();
    this.#bytes += chunk.byteLength;
    if (!this.#out.write(chunk)) {
      // once() rejects when the stream fails while this waits; a stream that already failed
      // never drains, hence the checks around it.
      this.#throwIfFailed();
      await once(this.#out, "drain");
    }
  }

  #throwIfFailed(): void {
    const failure: Error | null = this.#out.errored;
    if (failure !== null) throw failure;
  }
}
