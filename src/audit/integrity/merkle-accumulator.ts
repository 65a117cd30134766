import { Buffer } from "node:buffer";
import { emptyRoot, HASH_BYTES, hashToHex, isHashHexAnyCase, nodeHashHex } from "./merkle-hash.ts";

/**
 * The persisted form of an accumulator: the tree size and the roots of its compact range
 * (base64, largest subtree first). It is all the server needs to keep appending after a restart
 * without rehashing the log: at most ⌈log2(size)⌉ + 1 hashes.
 */
export interface MerkleAccumulatorState {
  readonly size: number;
  readonly frontier: readonly string[];
}

/**
 * An append-only RFC 6962 Merkle tree that keeps only its "frontier": the roots of the perfect
 * subtrees that make up [0, size), one per set bit of `size`, largest (leftmost) first. This is
 * the compact range of transparency-dev/merkle and the "tree state" of Trillian and Tessera.
 *
 * - `append` merges equal-sized subtrees like a binary counter: amortised one node hash per leaf,
 *   at most log2(size) for one leaf.
 * - `root` folds the frontier right to left, which is exactly MTH because RFC 6962 splits every
 *   tree at the largest power of two below its size: O(log size).
 *
 * Hashes are kept as hex internally (see merkle-hash.ts for why hex is the fast path).
 */
export class MerkleAccumulator {
  #size = 0;
  /** Subtree roots as hex, leftmost (largest) first; only appended leaves may be uppercase. */
  #frontier: string[] = [];

  static fromState(state: MerkleAccumulatorState): MerkleAccumulator {
    const { size, frontier } = state;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`accumulator size must be a non-negative safe integer, got ${String(size)}`);
    }
    if (frontier.length !== bitCount(size)) {
      throw new RangeError(
        `an accumulator of size ${size} has ${bitCount(size)} frontier hashes, got ${frontier.length}`,
      );
    }
    const accumulator = new MerkleAccumulator();
    accumulator.#size = size;
    accumulator.#frontier = frontier.map((encoded, index) => {
      const bytes = Buffer.from(encoded, "base64");
      if (bytes.length !== HASH_BYTES || bytes.toString("base64") !== encoded) {
        throw new RangeError(`frontier[${index}] is not the base64 of a ${HASH_BYTES}-byte hash`);
      }
      return bytes.toString("hex");
    });
    return accumulator;
  }

  /** The number of leaves appended. */
  get size(): number {
    return this.#size;
  }

  /** Appends one leaf hash (32 bytes; `leafHash(bytes)`, not the bytes themselves). */
  append(leafHash: Uint8Array): void {
    this.#push(hashToHex(leafHash, "a leaf hash"));
  }

  /** Appends one leaf hash given as 64 hex digits (either case). */
  appendHex(leafHashHex: string): void {
    if (!isHashHexAnyCase(leafHashHex)) throw new RangeError("a leaf hash must be 64 hex digits");
    this.#push(leafHashHex);
  }

  /** MTH of the leaves appended so far; the empty-tree hash when there are none. */
  root(): Buffer<ArrayBuffer> {
    return this.#size === 0 ? emptyRoot() : Buffer.from(this.rootHex(), "hex");
  }

  /** `root()` as lowercase hex. */
  rootHex(): string {
    const root = this.#frontier.reduceRight<string | undefined>(
      (right, left) => (right === undefined ? left : nodeHashHex(left, right)),
      undefined,
    );
    // A single leaf is returned as appended, so normalise its case; node hashes are lowercase already.
    return this.#size === 1 ? (root ?? "").toLowerCase() : (root ?? emptyRoot().toString("hex"));
  }

  toState(): MerkleAccumulatorState {
    return {
      size: this.#size,
      frontier: this.#frontier.map((hex) => Buffer.from(hex, "hex").toString("base64")),
    };
  }

  clone(): MerkleAccumulator {
    const copy = new MerkleAccumulator();
    copy.#size = this.#size;
    copy.#frontier = [...this.#frontier];
    return copy;
  }

  #push(hex: string): void {
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError("the tree is full");
    const frontier = this.#frontier;
    let merged = hex;
    // Each trailing 1 bit of the old size is a subtree of the size being carried: merge it.
    for (let carry = this.#size; carry % 2 === 1; carry = (carry - 1) / 2) {
      const left = frontier.pop();
      if (left === undefined) throw new Error("accumulator frontier is inconsistent with its size");
      merged = nodeHashHex(left, merged);
    }
    frontier.push(merged);
    this.#size += 1;
  }
}

/** The number of set bits of a non-negative safe integer (bitwise operators stop at 2^32). */
export function bitCount(value: number): number {
  let count = 0;
  for (let rest = value; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/** MTH(D[n]) of RFC 6962 §2.1 over the given leaf hashes (32 bytes each), in O(n). */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Buffer<ArrayBuffer> {
  const accumulator = new MerkleAccumulator();
  for (const hash of hashes) accumulator.append(hash);
  return accumulator.root();
}
