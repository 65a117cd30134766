import { describe, expect, it } from "vitest";
import { MerkleAccumulator, rootFromLeafHashes } from "./merkle-accumulator.ts";
import { emptyRoot, leafHash, nodeHash } from "./merkle-hash.ts";
import {
  consistencyProof,
  createSubtreeHasher,
  inclusionProof,
  largestPowerOfTwoBelow,
  verifyConsistency,
  verifyInclusion,
  type LeafHashAccessor,
} from "./merkle-proof.ts";
import { REFERENCE_LEAF_INPUTS, REFERENCE_ROOTS } from "../../../test/support/rfc6962-reference-tree.ts";

const h = (hex: string): Buffer => Buffer.from(hex, "hex");

// transparency-dev/merkle proof/verify_test.go: the reference tree, its roots, and known proofs.
const leaves = REFERENCE_LEAF_INPUTS.map((hex) => leafHash(h(hex)));
const roots = REFERENCE_ROOTS.map(h);
const root = (size: number): Buffer => roots[size - 1]!;
// {leaf (1-based in the Go file), size, proof}
const inclusionVectors: readonly [number, number, readonly string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  ],
  [
    6,
    8,
    [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  ],
  [3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]],
  [
    2,
    5,
    [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  ],
];
const consistencyVectors: readonly [number, number, readonly string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  ],
  [
    6,
    8,
    [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  ],
  [
    2,
    5,
    [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  ],
  [
    6,
    7,
    [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  ],
];
const SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456");
const fromArray =
  (hashes: readonly Buffer[]): LeafHashAccessor =>
  (index) => {
    const leaf = hashes[index];
    if (leaf === undefined) throw new RangeError(`no leaf ${index}`);
    return leaf;
  };

/** Mutations of verify_test.go's corruptInclusionProof: none may verify. */
function corruptInclusion(
  index: number,
  size: number,
  proof: readonly Buffer[],
  rootHash: Buffer,
  leaf: Buffer,
) {
  const flipped = proof.map((_, i) =>
    proof.map((node, j) => (j === i ? Buffer.from(node).fill(node[0]! ^ 8, 0, 1) : node)),
  );
  return [
    [index - 1, size, proof, rootHash, leaf],
    [index + 1, size, proof, rootHash, leaf],
    [index ^ 2, size, proof, rootHash, leaf],
    [index, size * 2, proof, rootHash, leaf],
    [index, Math.floor(size / 2), proof, rootHash, leaf],
    [index, size, proof, rootHash, Buffer.from("WrongLeaf")],
    [index, size, proof, emptyRoot(), leaf],
    [index, size, proof, SOME_HASH, leaf],
    [index, size, [...proof, Buffer.alloc(0)], rootHash, leaf],
    [index, size, [...proof, rootHash], rootHash, leaf],
    [index, size, [Buffer.alloc(0), ...proof], rootHash, leaf],
    [index, size, [rootHash, ...proof], rootHash, leaf],
    ...flipped.map((wrong) => [index, size, wrong, rootHash, leaf]),
    ...(proof.length > 0 ? [[index, size, proof.slice(0, -1), rootHash, leaf]] : []),
    ...(proof.length > 1 ? [[index, size, [proof[0]!, SOME_HASH, ...proof.slice(1)], rootHash, leaf]] : []),
  ] as [number, number, Buffer[], Buffer, Buffer][];
}

/** Mutations of verify_test.go's corruptConsistencyProof: none may verify. */
function corruptConsistency(
  first: number,
  second: number,
  proof: readonly Buffer[],
  root1: Buffer,
  root2: Buffer,
) {
  const flipped = proof.map((_, i) =>
    proof.map((node, j) => (j === i ? Buffer.from(node).fill(node[0]! ^ 16, 0, 1) : node)),
  );
  return [
    [first - 1, second, proof, root1, root2],
    [first + 1, second, proof, root1, root2],
    [first ^ 2, second, proof, root1, root2],
    [first, second * 2, proof, root1, root2],
    [first, Math.floor(second / 2), proof, root1, root2],
    [first, second, proof, Buffer.from("WrongRoot"), root2],
    [first, second, proof, root1, Buffer.from("WrongRoot")],
    [first, second, proof, SOME_HASH, root2],
    [first, second, proof, root2, root1],
    [first, second, [], root1, root2],
    [first, second, [...proof, Buffer.alloc(0)], root1, root2],
    [first, second, [...proof, root1], root1, root2],
    [first, second, [...proof, root2], root1, root2],
    [first, second, [Buffer.alloc(0), ...proof], root1, root2],
    [first, second, [root1, ...proof], root1, root2],
    [first, second, [root2, ...proof], root1, root2],
    [first, second, [proof[0]!, ...proof], root1, root2],
    [first, second, proof.slice(0, -1), root1, root2],
    ...flipped.map((wrong) => [first, second, wrong, root1, root2]),
  ] as [number, number, Buffer[], Buffer, Buffer][];
}

// RFC 6962 §2.1.1 PATH and §2.1.2 PROOF/SUBPROOF, written recursively as in the RFC.
function mth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return emptyRoot();
  if (d.length === 1) return d[0]!;
  const k = largestPowerOfTwoBelow(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function referencePath(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k
    ? [...referencePath(m, d.slice(0, k)), mth(d.slice(k))]
    : [...referencePath(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function referenceSubproof(m: number, d: readonly Buffer[], complete: boolean): Buffer[] {
  if (m === d.length) return complete ? [] : [mth(d)];
  const k = largestPowerOfTwoBelow(d.length);
  return m <= k
    ? [...referenceSubproof(m, d.slice(0, k), complete), mth(d.slice(k))]
    : [...referenceSubproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const hexes = (nodes: readonly Buffer[]): string[] => nodes.map((node) => node.toString("hex"));

describe("inclusion proofs", () => {
  it.each(inclusionVectors)(
    "leaf %i of %i: generates and verifies the published proof",
    (leaf, size, expected) => {
      const proof = inclusionProof(leaf - 1, size, fromArray(leaves));
      expect(hexes(proof)).toEqual(expected);
      expect(verifyInclusion(leaves[leaf - 1]!, leaf - 1, size, proof, root(size))).toBe(true);
      for (const [index, treeSize, wrongProof, wrongRoot, wrongLeaf] of corruptInclusion(
        leaf - 1,
        size,
        proof,
        root(size),
        leaves[leaf - 1]!,
      )) {
        expect(verifyInclusion(wrongLeaf, index, treeSize, wrongProof, wrongRoot)).toBe(false);
      }
    },
  );

  it("refuses impossible positions (verify_test.go TestVerifyInclusion probes)", () => {
    for (const [index, size] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [2, 1],
    ] as const) {
      expect(verifyInclusion(SOME_HASH, index, size, [], Buffer.alloc(0))).toBe(false);
      expect(verifyInclusion(Buffer.alloc(0), index, size, [], emptyRoot())).toBe(false);
      expect(verifyInclusion(SOME_HASH, index, size, [], emptyRoot())).toBe(false);
    }
    const single = leafHash(Buffer.from("data"));
    expect(verifyInclusion(single, 0, 1, [], single)).toBe(true);
    expect(verifyInclusion(single, 0, 1, [], Buffer.alloc(0))).toBe(false);
    expect(verifyInclusion(Buffer.alloc(0), 0, 1, [], single)).toBe(false);
  });

  it("agrees with RFC 6962 PATH for every leaf of every tree up to 40 leaves", () => {
    const hashes = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from([i, i * 7])));
    for (let size = 1; size <= hashes.length; size++) {
      const tree = hashes.slice(0, size);
      const rootHash = mth(tree);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(index, size, fromArray(hashes));
        expect(hexes(proof)).toEqual(hexes(referencePath(index, tree)));
        expect(verifyInclusion(hashes[index]!, index, size, proof, rootHash)).toBe(true);
        // A proof binds the leaf to its position: the same leaf elsewhere does not verify.
        if (size > 1)
          expect(verifyInclusion(hashes[index]!, (index + 1) % size, size, proof, rootHash)).toBe(false);
      }
    }
  });

  it("refuses bad arguments", () => {
    const get = fromArray(leaves);
    expect(() => inclusionProof(0, 0, get)).toThrow(RangeError);
    expect(() => inclusionProof(8, 8, get)).toThrow(RangeError);
    expect(() => inclusionProof(-1, 8, get)).toThrow(RangeError);
    expect(() => inclusionProof(0.5, 8, get)).toThrow(RangeError);
    expect(() => inclusionProof(0, 9, get)).toThrow(/no leaf 8/);
    expect(() => inclusionProof(0, 2, () => new Uint8Array(3))).toThrow(/32 bytes/);
  });
});

describe("consistency proofs", () => {
  it.each(consistencyVectors)(
    "%i -> %i: generates and verifies the published proof",
    (first, second, expected) => {
      const proof = consistencyProof(first, second, fromArray(leaves));
      expect(hexes(proof)).toEqual(expected);
      expect(verifyConsistency(first, second, proof, root(first), root(second))).toBe(true);
      if (proof.length === 0) return;
      for (const [m, n, wrongProof, root1, root2] of corruptConsistency(
        first,
        second,
        proof,
        root(first),
        root(second),
      )) {
        expect(verifyConsistency(m, n, wrongProof, root1, root2)).toBe(false);
      }
    },
  );

  it("settles the sizes RFC 9162 leaves out (verify_test.go TestVerifyConsistency, 32-byte roots)", () => {
    const [a, b] = [leafHash(Buffer.from("1")), leafHash(Buffer.from("2"))];
    expect(verifyConsistency(0, 0, [], a, a)).toBe(true);
    expect(verifyConsistency(1, 1, [], b, b)).toBe(true);
    expect(verifyConsistency(0, 0, [], a, b)).toBe(false);
    expect(verifyConsistency(1, 1, [], a, b)).toBe(false);
    expect(verifyConsistency(1, 0, [], a, b)).toBe(false);
    expect(verifyConsistency(2, 1, [], a, b)).toBe(false);
    expect(verifyConsistency(1, 2, [], a, b)).toBe(false);
    expect(verifyConsistency(0, 0, [emptyRoot()], emptyRoot(), emptyRoot())).toBe(false);
    expect(verifyConsistency(0, 1, [emptyRoot()], emptyRoot(), emptyRoot())).toBe(false);
    expect(verifyConsistency(1, 1, [emptyRoot()], emptyRoot(), emptyRoot())).toBe(false);
    // The empty tree is a prefix of every tree, but its root must be MTH({}).
    expect(verifyConsistency(0, 5, [], emptyRoot(), root(5))).toBe(true);
    expect(verifyConsistency(0, 5, [], a, root(5))).toBe(false);
    expect(consistencyProof(0, 5, fromArray(leaves))).toEqual([]);
  });

  it("agrees with RFC 6962 PROOF for every pair of sizes up to 40", () => {
    const hashes = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from([i, 255 - i])));
    const rootsBySize = hashes.map((_, i) => mth(hashes.slice(0, i + 1)));
    for (let second = 1; second <= hashes.length; second++) {
      const tree = hashes.slice(0, second);
      for (let first = 1; first <= second; first++) {
        const proof = consistencyProof(first, second, fromArray(hashes));
        expect(hexes(proof)).toEqual(hexes(first === second ? [] : referenceSubproof(first, tree, true)));
        expect(
          verifyConsistency(first, second, proof, rootsBySize[first - 1]!, rootsBySize[second - 1]!),
        ).toBe(true);
        if (first < second) {
          expect(
            verifyConsistency(first, second, proof, rootsBySize[second - 1]!, rootsBySize[first - 1]!),
          ).toBe(false);
        }
      }
    }
  });

  it("refuses bad arguments", () => {
    const get = fromArray(leaves);
    expect(() => consistencyProof(3, 2, get)).toThrow(RangeError);
    expect(() => consistencyProof(-1, 2, get)).toThrow(RangeError);
    expect(() => consistencyProof(1, 9, get)).toThrow(/no leaf/);
  });
});

describe("createSubtreeHasher", () => {
  it("gives the same proofs as the plain accessor, across growing trees, with a warm cache", () => {
    const hashes = Array.from({ length: 3000 }, (_, i) => leafHash(Buffer.from(`e${i}`)));
    let reads = 0;
    const counting: LeafHashAccessor = (index) => {
      reads += 1;
      return fromArray(hashes)(index);
    };
    const cached = createSubtreeHasher(counting, { minCachedLevel: 3 });
    const plain = fromArray(hashes);
    for (const size of [1, 2, 3, 8, 9, 100, 1024, 1025, 2047, 3000]) {
      for (const index of [0, Math.floor(size / 3), size - 1]) {
        expect(hexes(inclusionProof(index, size, cached))).toEqual(hexes(inclusionProof(index, size, plain)));
      }
      for (const first of [1, Math.ceil(size / 2), size]) {
        expect(hexes(consistencyProof(first, size, cached))).toEqual(
          hexes(consistencyProof(first, size, plain)),
        );
      }
    }
    reads = 0;
    const proof = inclusionProof(1234, 3000, cached);
    expect(verifyInclusion(hashes[1234]!, 1234, 3000, proof, rootFromLeafHashes(hashes))).toBe(true);
    expect(reads).toBeLessThan(100); // warm: subtrees of ≥ 8 leaves come from the cache
  });

  it("hashes any range, aligned or not, as the MTH of that sublist", () => {
    const hashes = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from([i])));
    const source = createSubtreeHasher(fromArray(hashes), { minCachedLevel: 2 });
    for (const [start, end] of [
      [0, 1],
      [0, 70],
      [3, 4],
      [5, 37],
      [8, 16],
      [16, 69],
      [64, 70],
    ] as const) {
      expect(Buffer.from(source.subtreeHash(start, end)).toString("hex")).toBe(
        mth(hashes.slice(start, end)).toString("hex"),
      );
    }
    expect(() => source.subtreeHash(3, 3)).toThrow(RangeError);
    expect(() => createSubtreeHasher(fromArray(hashes), { minCachedLevel: 0 })).toThrow(RangeError);
  });

  it("proves in a tree of 2^20 + 3 leaves, and its proofs verify", () => {
    const size = 2 ** 20 + 3;
    const column = Buffer.alloc(size * 32);
    const accumulator = new MerkleAccumulator();
    for (let i = 0; i < size; i++) {
      column.writeUInt32BE(i, i * 32);
      accumulator.append(column.subarray(i * 32, i * 32 + 32));
    }
    const source = createSubtreeHasher((i) => column.subarray(i * 32, i * 32 + 32));
    const rootHash = accumulator.root();
    for (const index of [0, 777_777, size - 1]) {
      const proof = inclusionProof(index, size, source);
      expect(proof.length).toBeLessThanOrEqual(21);
      expect(
        verifyInclusion(column.subarray(index * 32, index * 32 + 32), index, size, proof, rootHash),
      ).toBe(true);
    }
    const old = MerkleAccumulator.fromState({ size: 0, frontier: [] });
    for (let i = 0; i < 1000; i++) old.append(column.subarray(i * 32, i * 32 + 32));
    expect(verifyConsistency(1000, size, consistencyProof(1000, size, source), old.root(), rootHash)).toBe(
      true,
    );
  });
});
