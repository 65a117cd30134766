import { conflict } from "../errors/domain-error.ts";
import {
  consistencyProof,
  HASH_BYTES,
  inclusionProof,
  isHashHexAnyCase,
  largestPowerOfTwoBelow,
  MerkleAccumulator,
  nodeHashHex,
  type SubtreeHashSource,
} from "./integrity/merkle.ts";

/** Reads stored leaf hashes (hex) of seq in [from, to], ascending: `AuditRecords.leafHashes`. */
export interface LeafHashReader {
  leafHashes(from: number, to: number): Promise<string[]>;
}

export interface AuditTreeHashesOptions {
  /**
   * Roots of complete aligned subtrees of 2^level leaves are memoised for level ≥ this (default 8:
   * one hash per 256 leaves, about 2 × 80 bytes per 256 events). Smaller ranges are rehashed from
   * one read of their block.
   */
  readonly blockLevel?: number;
  /** Leaves per query when a cold subtree is filled (default 16,384; a multiple of the block). */
  readonly readChunk?: number;
}

export interface InclusionHashes {
  /** Leaf to root, hex. */
  readonly proof: string[];
  readonly root: string;
}

export interface ConsistencyHashes {
  readonly proof: string[];
  readonly firstRoot: string;
  readonly secondRoot: string;
}

const PLACEHOLDER = new Uint8Array(HASH_BYTES);

/**
 * Inclusion and consistency proofs over the leaf hashes stored in the database, without loading
 * the log. The proof's shape comes from the pure merkle-proof module (RFC 6962); the hashes of
 * the ranges it names are computed here, asynchronously, from `leafHashes` reads:
 *
 * - the root of every complete, aligned subtree of ≥ 2^blockLevel leaves is memoised (it never
 *   changes once all its leaves exist: the log is append-only);
 * - a cold subtree is filled in chunks of `readChunk` leaves, one query each, memoising all its
 *   blocks and the subtrees above them;
 * - ranges smaller than a block are hashed from one read of that block (≤ 2^blockLevel rows).
 *
 * Cost: the first proof over a tree of n leaves reads the n leaf hashes once (n / readChunk
 * queries) and does about n node hashes; after that a proof reads one or two blocks (≤ 512 rows)
 * and does O(log n + 2^blockLevel) hashes. Memory: about 2n / 2^blockLevel memoised hashes.
 *
 * The memo trusts what it read. A row changed afterwards by someone who bypassed the database's
 * append-only triggers is not seen here; `audit verify` is the check for that.
 */
export class AuditTreeHashes {
  readonly #reader: LeafHashReader;
  readonly #blockLevel: number;
  readonly #blockSize: number;
  readonly #readChunk: number;
  /** memo[level - blockLevel][index]: root of the leaves [index·2^level, (index+1)·2^level). */
  readonly #memo: (string | undefined)[][] = [];

  constructor(reader: LeafHashReader, options: AuditTreeHashesOptions = {}) {
    this.#reader = reader;
    this.#blockLevel = options.blockLevel ?? 8;
    if (!Number.isInteger(this.#blockLevel) || this.#blockLevel < 1 || this.#blockLevel > 20) {
      throw new RangeError("blockLevel must be an integer in 1..20");
    }
    this.#blockSize = 2 ** this.#blockLevel;
    const chunk = options.readChunk ?? 16_384;
    this.#readChunk = Math.max(this.#blockSize, Math.floor(chunk / this.#blockSize) * this.#blockSize);
  }

  /** PATH(index, D[size]) and MTH(D[size]); the caller checks 0 ≤ index < size ≤ the log size. */
  async inclusion(index: number, size: number): Promise<InclusionHashes> {
    const request = new RangeRequest(this, size);
    const proof = await request.resolve((source) => inclusionProof(index, size, source));
    return { proof, root: await request.range(0, size) };
  }

  /** PROOF(first, D[second]) and both roots; the caller checks 0 < first ≤ second ≤ the log size. */
  async consistency(first: number, second: number): Promise<ConsistencyHashes> {
    const request = new RangeRequest(this, second);
    const proof = await request.resolve((source) => consistencyProof(first, second, source));
    return { proof, firstRoot: await request.range(0, first), secondRoot: await request.range(0, second) };
  }

  /** MTH of the leaves [0, size). */
  async root(size: number): Promise<string> {
    return new RangeRequest(this, size).range(0, size);
  }

  get blockLevel(): number {
    return this.#blockLevel;
  }

  get blockSize(): number {
    return this.#blockSize;
  }

  memoised(level: number, index: number): string | undefined {
    return this.#memo[level - this.#blockLevel]?.[index];
  }

  memoise(level: number, index: number, root: string): void {
    (this.#memo[level - this.#blockLevel] ??= [])[index] = root;
  }

  /** Fills the memo for every block in [firstBlock, endBlock) that is not in it yet. */
  async fillBlocks(firstBlock: number, endBlock: number): Promise<void> {
    let block = firstBlock;
    while (block < endBlock) {
      if (this.memoised(this.#blockLevel, block) !== undefined) {
        block += 1;
        continue;
      }
      let end = block + 1;
      const limit = block + this.#readChunk / this.#blockSize;
      while (end < endBlock && end < limit && this.memoised(this.#blockLevel, end) === undefined) end += 1;
      const leaves = await this.readLeaves(block * this.#blockSize, end * this.#blockSize);
      for (let at = block; at < end; at++) {
        const offset = (at - block) * this.#blockSize;
        this.memoise(this.#blockLevel, at, foldLeaves(leaves, offset, offset + this.#blockSize));
      }
      block = end;
    }
  }

  /** Leaf hashes (lowercase hex) of the zero-based leaves [start, end); all must exist. */
  async readLeaves(start: number, end: number): Promise<string[]> {
    const leaves = await this.#reader.leafHashes(start + 1, end);
    if (leaves.length !== end - start) {
      throw conflict(
        "AuditLogIncomplete",
        `the audit log should hold seq ${start + 1}..${end} but ${end - start - leaves.length} of them are missing: run \`package-broker audit verify\``,
      );
    }
    return leaves.map((hex, offset) => {
      if (!isHashHexAnyCase(hex)) {
        throw conflict(
          "AuditLogCorrupt",
          `the stored leaf hash of seq ${start + offset + 1} is malformed: run \`package-broker audit verify\``,
        );
      }
      return hex.toLowerCase();
    });
  }
}

/**
 * One proof request: ranges of the tree of `size` leaves. Blocks below the memo are read once
 * per request (the last, incomplete block of the tree is never memoised).
 */
class RangeRequest {
  readonly #tree: AuditTreeHashes;
  readonly #size: number;
  readonly #blocks = new Map<number, Promise<string[]>>();

  constructor(tree: AuditTreeHashes, size: number) {
    this.#tree = tree;
    this.#size = size;
  }

  /**
   * Runs a proof function twice: first to learn which ranges it hashes, then with their hashes,
   * computed in between.
   */
  async resolve(build: (source: SubtreeHashSource) => Uint8Array[]): Promise<string[]> {
    const wanted: (readonly [number, number])[] = [];
    build({
      subtreeHash: (start, end) => {
        wanted.push([start, end]);
        return PLACEHOLDER;
      },
    });
    const hashes = new Map<string, string>();
    for (const [start, end] of wanted) hashes.set(`${start}:${end}`, await this.range(start, end));
    return build({
      subtreeHash: (start, end) => Buffer.from(hashes.get(`${start}:${end}`) ?? "", "hex"),
    }).map((node) => Buffer.from(node).toString("hex"));
  }

  /** MTH of the leaves [start, end), start < end ≤ size. */
  async range(start: number, end: number): Promise<string> {
    const width = end - start;
    if (isPowerOfTwo(width) && start % width === 0) return this.#perfect(Math.log2(width), start / width);
    const left = largestPowerOfTwoBelow(width);
    // Every range of a proof is a node of the tree: it starts aligned to its left subtree.
    if (start % left !== 0) return this.#fold(start, end);
    const [leftRoot, rightRoot] = [
      await this.#perfect(Math.log2(left), start / left),
      await this.range(start + left, end),
    ];
    return nodeHashHex(leftRoot, rightRoot);
  }

  async #perfect(level: number, index: number, filled = false): Promise<string> {
    const tree = this.#tree;
    const width = 2 ** level;
    if (level < tree.blockLevel) return this.#fold(index * width, (index + 1) * width);
    const known = tree.memoised(level, index);
    if (known !== undefined) return known;
    if (!filled) {
      // Cold: read the whole subtree's blocks in large chunks first, then combine in memory.
      const blocksPerNode = width / tree.blockSize;
      await tree.fillBlocks(index * blocksPerNode, (index + 1) * blocksPerNode);
      const filledRoot = tree.memoised(level, index);
      if (filledRoot !== undefined) return filledRoot;
    }
    const root = nodeHashHex(
      await this.#perfect(level - 1, 2 * index, true),
      await this.#perfect(level - 1, 2 * index + 1, true),
    );
    tree.memoise(level, index, root);
    return root;
  }

  /** MTH of a range within one block, or any unaligned range, straight from the leaves. */
  async #fold(start: number, end: number): Promise<string> {
    const blockSize = this.#tree.blockSize;
    const block = Math.floor(start / blockSize);
    if (Math.floor((end - 1) / blockSize) !== block) {
      return foldLeaves(await this.#tree.readLeaves(start, end), 0, end - start);
    }
    let leaves = this.#blocks.get(block);
    if (leaves === undefined) {
      leaves = this.#tree.readLeaves(block * blockSize, Math.min((block + 1) * blockSize, this.#size));
      this.#blocks.set(block, leaves);
    }
    const offset = block * blockSize;
    return foldLeaves(await leaves, start - offset, end - offset);
  }
}

function foldLeaves(leaves: readonly string[], start: number, end: number): string {
  if (end - start === 1) return leaves[start] ?? "";
  const accumulator = new MerkleAccumulator();
  for (let index = start; index < end; index++) accumulator.appendHex(leaves[index] ?? "");
  return accumulator.rootHex();
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}
