import { Buffer } from "node:buffer";
import { MerkleAccumulator } from "./merkle-accumulator.ts";
import { emptyRoot, HASH_BYTES, hashToHex, nodeHash, nodeHashHex } from "./merkle-hash.ts";

/**
 * Inclusion and consistency proofs of RFC 6962 §2.1.1–2.1.2 (generation) and RFC 9162
 * §2.1.3.2 / §2.1.4.2 (verification, step by step as written there).
 *
 * Proofs are generated from the leaf hashes. Every node of a proof is the MTH of a range of
 * leaves; how that range is hashed depends on the source:
 *
 * - a `LeafHashAccessor` `(i) => leafHash` (an array, a column read into memory): each proof
 *   rehashes the ranges it needs, which together cover the whole tree, so one proof costs O(n)
 *   hashes (about 0.5 s for a million leaves on the reference machine; never O(n^2));
 * - a `SubtreeHashSource` such as `createSubtreeHasher(accessor)`, which memoises the roots of
 *   complete, aligned subtrees: after the first proof warms it, a proof costs
 *   O(log n · 2^minCachedLevel) hashes.
 */

/** Leaf hash (32 bytes) of the leaf at a zero-based index. */
export type LeafHashAccessor = (index: number) => Uint8Array;

export interface SubtreeHashSource {
  /** MTH of the leaves [start, end), 0 ≤ start < end ≤ tree size. */
  readonly subtreeHash: (start: number, end: number) => Uint8Array;
}

export type ProofSource = LeafHashAccessor | SubtreeHashSource;

/** The audit path of RFC 6962 PATH(index, D[size]), leaf to root: ≤ ⌈log2(size)⌉ hashes. */
export function inclusionProof(index: number, size: number, source: ProofSource): Buffer<ArrayBuffer>[] {
  assertSize(size, "size");
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${String(index)} is not in a tree of size ${size}`);
  }
  const ranges: (readonly [number, number])[] = [];
  let low = 0;
  let high = size;
  while (high - low > 1) {
    const split = low + largestPowerOfTwoBelow(high - low);
    if (index < split) {
      ranges.push([split, high]);
      high = split;
    } else {
      ranges.push([low, split]);
      low = split;
    }
  }
  return hashRanges(ranges.reverse(), source);
}

/**
 * RFC 6962 PROOF(first, D[second]): shows that the tree of size `first` is a prefix of the tree of
 * size `second`. Empty when first is 0 or equal to second (nothing to prove).
 */
export function consistencyProof(first: number, second: number, source: ProofSource): Buffer<ArrayBuffer>[] {
  assertSize(first, "first");
  assertSize(second, "second");
  if (first > second) throw new RangeError(`first size ${first} is larger than second size ${second}`);
  if (first === 0 || first === second) return [];
  // SUBPROOF(m, D[low:high], complete) unrolled: each step records the sibling the recursion skips.
  const ranges: (readonly [number, number])[] = [];
  let low = 0;
  let high = second;
  let complete = true;
  while (first !== high) {
    const split = low + largestPowerOfTwoBelow(high - low);
    if (first <= split) {
      ranges.push([split, high]);
      high = split;
    } else {
      ranges.push([low, split]);
      low = split;
      complete = false;
    }
  }
  if (!complete) ranges.push([low, high]);
  return hashRanges(ranges.reverse(), source);
}

/** RFC 9162 §2.1.3.2. False (never a throw) for anything malformed. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) return false;
  if (leafHash.length !== HASH_BYTES || root.length !== HASH_BYTES) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (p.length !== HASH_BYTES || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/**
 * RFC 9162 §2.1.4.2 for 0 < first < second. The two cases that section leaves out are settled as
 * sigsum-go does: equal sizes need an empty proof and equal roots; first = 0 needs an empty proof
 * and `firstRoot` = MTH({}). All hashes must be 32 bytes.
 */
export function verifyConsistency(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  if (!isSize(first) || !isSize(second) || first > second) return false;
  if (firstRoot.length !== HASH_BYTES || secondRoot.length !== HASH_BYTES) return false;
  if (proof.some((node) => node.length !== HASH_BYTES)) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (first === 0) return proof.length === 0 && emptyRoot().equals(firstRoot);
  // 1. An empty consistency_path fails.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  // 3. fn = first - 1, sn = second - 1.
  let fn = first - 1;
  let sn = second - 1;
  // 4. While LSB(fn) is set, right-shift both.
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  // 5. fr = sr = the first value of the path.
  const [head, ...rest] = path;
  if (head === undefined) return false;
  let fr = head;
  let sr = head;
  // 6. For each subsequent value c:
  for (const c of rest) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7. fr = first_hash, sr = second_hash and sn = 0.
  return Buffer.from(fr).equals(firstRoot) && Buffer.from(sr).equals(secondRoot) && sn === 0;
}

export interface SubtreeHasherOptions {
  /**
   * Roots of complete aligned subtrees of 2^level leaves are memoised for level ≥ this (default 8:
   * one cached hash per 128 leaves, about 0.5 MB per million leaves). Smaller subtrees are rehashed.
   */
  readonly minCachedLevel?: number;
}

/**
 * A SubtreeHashSource over an append-only leaf accessor. It memoises the roots of complete,
 * aligned subtrees, which never change once all their leaves exist: keep one per log and reuse it
 * across proofs and growing tree sizes. The accessor must never return a different hash for an
 * index it has returned before.
 */
export function createSubtreeHasher(
  getLeafHash: LeafHashAccessor,
  options: SubtreeHasherOptions = {},
): SubtreeHashSource {
  const minCachedLevel = options.minCachedLevel ?? 8;
  if (!Number.isInteger(minCachedLevel) || minCachedLevel < 1) {
    throw new RangeError("minCachedLevel must be a positive integer");
  }
  const cache: (string | undefined)[][] = [];

  const perfect = (level: number, index: number): string => {
    const width = 2 ** level;
    if (level < minCachedLevel) return accumulateRange(getLeafHash, index * width, (index + 1) * width);
    const row = (cache[level] ??= []);
    let root = row[index];
    if (root === undefined) {
      root = nodeHashHex(perfect(level - 1, 2 * index), perfect(level - 1, 2 * index + 1));
      row[index] = root;
    }
    return root;
  };

  const range = (start: number, end: number): string => {
    const width = end - start;
    if (width === 1) return hashToHex(getLeafHash(start), `leaf hash ${start}`);
    if (isPowerOfTwo(width) && start % width === 0) return perfect(Math.log2(width), start / width);
    const left = largestPowerOfTwoBelow(width);
    // Ranges out of a tree's own structure start aligned; any other range is hashed directly.
    if (start % left !== 0) return accumulateRange(getLeafHash, start, end);
    return nodeHashHex(perfect(Math.log2(left), start / left), range(start + left, end));
  };

  return {
    subtreeHash: (start, end) => {
      assertRange(start, end);
      return Buffer.from(range(start, end), "hex");
    },
  };
}

function hashRanges(
  ranges: readonly (readonly [number, number])[],
  source: ProofSource,
): Buffer<ArrayBuffer>[] {
  return ranges.map(([start, end]) => {
    if (typeof source === "function") return Buffer.from(accumulateRange(source, start, end), "hex");
    return Buffer.from(hashToHex(source.subtreeHash(start, end), `subtree hash [${start}, ${end})`), "hex");
  });
}

/** MTH of leaves [start, end) straight from the accessor: the accumulator over that sublist. */
function accumulateRange(getLeafHash: LeafHashAccessor, start: number, end: number): string {
  const accumulator = new MerkleAccumulator();
  for (let index = start; index < end; index++) {
    accumulator.appendHex(hashToHex(getLeafHash(index), `leaf hash ${index}`));
  }
  return accumulator.rootHex();
}

/** The k of RFC 6962: the largest power of two strictly below n (n ≥ 2). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function isSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function assertSize(value: number, what: string): void {
  if (!isSize(value))
    throw new RangeError(`${what} must be a non-negative safe integer, got ${String(value)}`);
}

function assertRange(start: number, end: number): void {
  if (!isSize(start) || !isSize(end) || start >= end) {
    throw new RangeError(`[${String(start)}, ${String(end)}) is not a non-empty range of leaves`);
  }
}
